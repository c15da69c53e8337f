-- The words of every verbatim in a taxonomy language, with their position and the keys they match the taxonomy
-- on: the word form and the lemma, both lower-case without accents (source themes.word_lemmas; a word missing
-- there matches as written).
with comments as (

    select response_id, comment_language, nps_comment
    from {{ ref('int_theme_comments') }}
    where has_taxonomy_language

),

words as (

    {{ comment_words('comments', ['response_id', 'comment_language'], 'nps_comment') }}

),

lemmas as (

    select language, word, word_key, lemma_key
    from {{ source('themes', 'word_lemmas') }}

),

final as (

    select
        words.response_id,
        words.comment_language as language,
        words.position,
        words.word,
        coalesce(lemmas.word_key, words.word) as word_key,
        coalesce(lemmas.lemma_key, words.word) as lemma_key
    from words
    left join lemmas
        on words.comment_language = lemmas.language
        and words.word = lemmas.word

)

select * from final
