-- Offline search. The text indexed is already folded by the core (alef forms, ta marbuta, harakat,
-- digits, case) and carries the stems of prefixed words, because FTS5's own tokenizer splits Arabic
-- words at harakat and folds none of the letter variants. The index is filled by code after this
-- script (see `store::migrations`).
CREATE VIRTUAL TABLE guide_fts USING fts5(
    title,
    keywords,
    body,
    kind UNINDEXED,
    ref_id UNINDEXED,
    -- What a result shows, kept beside the index so a search reads no other table.
    title_ar UNINDEXED,
    title_en UNINDEXED,
    summary_ar UNINDEXED,
    summary_en UNINDEXED,
    tokenize = 'unicode61 remove_diacritics 0',
    prefix = '2 3'
);

-- The index's vocabulary, read to forgive one typo when a word finds nothing.
CREATE VIRTUAL TABLE guide_vocab USING fts5vocab(guide_fts, 'row');
