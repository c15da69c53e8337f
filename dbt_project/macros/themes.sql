{#- Verbatim themes: how comments are cut into words and how the Python-prepared inputs (schema `themes`,
    written by themes/prepare.py before dbt runs) are created empty when that step has not run. The taxonomy
    itself is the user's YAML (themes/presets/*.yml, chosen in sources.yml); the matching rules are the models
    of models/intermediate/themes. -#}

{#- The words of a text with their position (1, 2, …), one row each: runs of letters (and combining marks) of
    the lower-cased text, as themes.taxonomy.words_of cuts taxonomy entries. `relation` is a CTE or table,
    `key_columns` are carried along. -#}
{% macro comment_words(relation, key_columns, text) -%}
    {{ return(adapter.dispatch('comment_words', 'nps_warehouse')(relation, key_columns, text)) }}
{%- endmacro %}

{% macro default__comment_words(relation, key_columns, text) -%}
    select {% for column in key_columns %}{{ column }}, {% endfor %}word, position
    from (
        select
            {% for column in key_columns %}{{ column }}, {% endfor %}
            unnest(words) as word,
            generate_subscripts(words, 1) as position
        from (
            select {% for column in key_columns %}{{ column }}, {% endfor %}
                regexp_extract_all(lower({{ text }}), '[\p{L}\p{M}]+') as words
            from {{ relation }}
        ) as cut
    ) as comment_word_rows
{%- endmacro %}

{% macro spark__comment_words(relation, key_columns, text) -%}
    select {% for column in key_columns %}cut.{{ column }}, {% endfor %}word_rows.word, word_rows.position + 1 as position
    from (
        select {% for column in key_columns %}{{ column }}, {% endfor %}
            regexp_extract_all(lower({{ text }}), '([\p{L}\p{M}]+)', 1) as words
        from {{ relation }}
    ) as cut
    lateral view posexplode(cut.words) word_rows as position, word
{%- endmacro %}

{#- Creates the input tables of the source `themes` that do not exist (a dbt run without the Python step, e.g.
    `dbt build` by hand: the models then find no lemma and no taxonomy, and every comment is `other`). Run by
    the project's on-run-start, so they exist before unit tests read their columns and before any model. -#}
{% macro theme_input_columns() -%}
    {%- set text = dbt.type_string() -%}
    {%- set integer = dbt.type_int() -%}
    {{ return({
        'comment_languages': [('comment_md5', text), ('language', text)],
        'word_lemmas': [('language', text), ('word', text), ('word_key', text), ('lemma_key', text)],
        'taxonomy_terms': [
            ('term_id', integer), ('theme', text), ('language', text), ('kind', text), ('term_text', text),
            ('term_length', integer), ('word_index', integer), ('match_on', text), ('match_key', text)
        ],
    }) }}
{%- endmacro %}

{% macro create_theme_inputs_if_missing() -%}
    {%- if execute -%}
        {%- for table, columns in theme_input_columns().items() -%}
            {%- set relation = source('themes', table) -%}
            {%- do adapter.create_schema(api.Relation.create(database=relation.database, schema=relation.schema)) -%}
            {%- set ddl -%}
                create table if not exists {{ relation }} (
                    {%- for name, type in columns %}
                    {{ name }} {{ type }}{{ "," if not loop.last }}
                    {%- endfor %}
                )
            {%- endset -%}
            {%- do run_query(ddl) -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{%- endmacro %}

{#- The adjusted-Wald interval (contract section 4) of nps_points_lost = NPS(all) − NPS(without the theme)
    = w · (NPS(with) − NPS(without)), w = responses with the theme / all responses. Each group gets the pseudo-counts
    of section 4 (n' = n + 3, P + 0.75, D + 0.75); the two groups are independent samples, so the variances add:
    centre w · (c'with − c'without) ± 196 · w · sqrt(v'with + v'without), clipped to −200·w..200·w (the range of
    the difference). Null where nps_points_lost is (no response without the theme). `bound`: low or high. -#}
{% macro nps_points_lost_interval(with_counts, without_counts, bound) -%}
    {%- set p_with, d_with, n_with = with_counts -%}
    {%- set p_without, d_without, n_without = without_counts -%}
    {%- set share = "(1.0 * (" ~ n_with ~ ") / ((" ~ n_with ~ ") + (" ~ n_without ~ ")))" -%}
    {%- set adjusted_with = ["(" ~ p_with ~ ") + 0.75", "(" ~ d_with ~ ") + 0.75", "(" ~ n_with ~ ") + 3.0"] -%}
    {%- set adjusted_without = ["(" ~ p_without ~ ") + 0.75", "(" ~ d_without ~ ") + 0.75", "(" ~ n_without ~ ") + 3.0"] -%}
    {%- set centre = share ~ " * ((" ~ nps(*adjusted_with) ~ ") - (" ~ nps(*adjusted_without) ~ "))" -%}
    {%- set half_width = "196.0 * " ~ share ~ " * sqrt((" ~ nps_spread(*adjusted_with) ~ ") / ("
        ~ adjusted_with[2] ~ ") + (" ~ nps_spread(*adjusted_without) ~ ") / (" ~ adjusted_without[2] ~ "))" -%}
    case when ({{ n_without }}) > 0 and ({{ n_with }}) > 0 then
    {%- if bound == 'low' %}
        greatest(-200.0 * {{ share }}, {{ centre }} - {{ half_width }})
    {%- elif bound == 'high' %}
        least(200.0 * {{ share }}, {{ centre }} + {{ half_width }})
    {%- else -%}
        {{ exceptions.raise_compiler_error("nps_points_lost_interval: bound must be 'low' or 'high', not " ~ bound) }}
    {%- endif %}
    end
{%- endmacro %}

{#- Incremental theme models (int_comment_tokens, int_verbatim_theme_matches; issue 21). A response's words and
    theme matches depend on its comment and language (its row of int_responses_enriched) and on the taxonomy in use
    (source themes.taxonomy_terms, the user's YAML). The lemmas of a word and the language detected for a comment
    are functions of the word or comment alone (themes/prepare.py computes them for every new one before dbt runs);
    a new release of the lemmatizer is a code change, which needs a full refresh like any other. -#}

{#- One row, `fingerprint`: md5 of every row of the taxonomy in use, in a fixed order. -#}
{% macro taxonomy_fingerprint() -%}
    {{ return(adapter.dispatch('taxonomy_fingerprint', 'nps_warehouse')()) }}
{%- endmacro %}

{% macro taxonomy_term_row() -%}
    concat_ws('|',
        {%- for column in ['term_id', 'theme', 'language', 'kind', 'term_text', 'term_length', 'word_index',
            'match_on', 'match_key'] %}
        coalesce(cast({{ column }} as {{ dbt.type_string() }}), '<null>'){{ "," if not loop.last }}
        {%- endfor %}
    )
{%- endmacro %}

{% macro default__taxonomy_fingerprint() -%}
    select md5(coalesce(string_agg(term_row, ';;' order by term_row), '')) as fingerprint
    from (select {{ taxonomy_term_row() }} as term_row from {{ source('themes', 'taxonomy_terms') }}) as terms
{%- endmacro %}

{% macro spark__taxonomy_fingerprint() -%}
    select md5(coalesce(array_join(array_sort(collect_list(term_row)), ';;'), '')) as fingerprint
    from (select {{ taxonomy_term_row() }} as term_row from {{ source('themes', 'taxonomy_terms') }}) as terms
{%- endmacro %}

{#- The response ids an incremental build of this theme model rebuilds: every response when the taxonomy is not
    the one the table was built with (or the table is empty), else those int_responses_enriched rebuilt since this
    table's watermark (`_built_through_file_id`: the highest one of int_responses_enriched when it was built), and
    those `also_rebuilt` (a relation of responses stamped the same way, e.g. fct_survey_responses) rebuilt since. -#}
{% macro theme_responses_to_rebuild(also_rebuilt=none) -%}
    select response_id
    from {{ ref('int_responses_enriched') }}
    where _built_through_file_id > {{ built_through_watermark() }}
        or (select fingerprint from ({{ taxonomy_fingerprint() }}) as current_taxonomy)
            is distinct from (select max(_taxonomy_fingerprint) from {{ this }})
    {%- if also_rebuilt is not none %}
    union
    select response_id
    from {{ also_rebuilt }}
    where _built_through_file_id > {{ built_through_watermark() }}
    {%- endif %}
{%- endmacro %}

{#- The pre-hook of an incremental theme model (strategy append): removes the rows of the responses this build
    rebuilds, so that a response whose new comment has no words or no theme leaves the table; every row on a table
    built by an earlier release (the build then rebuilds every response). The watermark it leaves can only be
    lower and the fingerprint only null (every row deleted): the build then rebuilds more responses, never fewer.
    `also_rebuilt`: as theme_responses_to_rebuild. Nothing in a full build, on Spark (a table) or in a unit test. -#}
{% macro delete_rebuilt_theme_rows(also_rebuilt=none) -%}
    {%- if model.resource_type != 'unit_test' and this is not none and is_incremental() -%}
        {%- if is_incremental_on_current_columns() -%}
    delete from {{ this }} where response_id in ({{ theme_responses_to_rebuild(also_rebuilt) }})
        {%- else -%}
    delete from {{ this }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#- The two bookkeeping columns of a theme model's rows (a relation `built` is cross-joined by the model). -#}
{% macro theme_build_columns() -%}
    (select max(_built_through_file_id) from {{ ref('int_responses_enriched') }}) as _built_through_file_id,
    (select fingerprint from ({{ taxonomy_fingerprint() }}) as current_taxonomy) as _taxonomy_fingerprint
{%- endmacro %}
