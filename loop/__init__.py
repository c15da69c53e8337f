"""Close the loop: open and overdue detractor follow-ups for the CRM (`nps loop`)."""
