-- qbank warehouse schema: the only definition of tables and views.
-- Tables hold facts; views are the stable surface users query (bank, questions, sources, topics, audit).
-- schema_version is bumped with every change; warehouse/store.py migrates older files forward
-- (numbered steps in warehouse/store.py MIGRATIONS), then runs this file again to refresh the views.
-- Every statement is idempotent (IF NOT EXISTS / OR REPLACE). Column meanings: docs/warehouse.md.

CREATE TABLE IF NOT EXISTS schema_info (
    key   VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS runs (
    run_id         VARCHAR PRIMARY KEY,      -- 'r_' + timestamp + random suffix
    started_at     TIMESTAMP NOT NULL,
    finished_at    TIMESTAMP,
    status         VARCHAR NOT NULL,          -- running | ok | partial (some sources failed) | failed
    settings_hash  VARCHAR NOT NULL,
    sources_seen   INTEGER DEFAULT 0,
    sources_ok     INTEGER DEFAULT 0,
    sources_unchanged INTEGER DEFAULT 0,
    sources_failed INTEGER DEFAULT 0,
    sources_skipped INTEGER DEFAULT 0,
    questions_added   INTEGER DEFAULT 0,
    questions_kept    INTEGER DEFAULT 0,
    questions_removed INTEGER DEFAULT 0,
    questions_total   INTEGER DEFAULT 0,
    clusters_total INTEGER DEFAULT 0,
    checks         JSON,                      -- data-quality check results of this run
    stages         JSON                       -- per stage: records in/out/dropped, seconds (v7)
);

CREATE TABLE IF NOT EXISTS source_docs (
    source_uri     VARCHAR PRIMARY KEY,
    status         VARCHAR NOT NULL,          -- ok | failed | skipped
    error          VARCHAR,                   -- one-line reason when failed/skipped
    error_stage    VARCHAR,
    content_sha256 VARCHAR,                   -- raw bytes, stored at raw/<sha[:2]>/<sha>
    media_type     VARCHAR,
    format         VARCHAR,                   -- html | markdown | text | rst | ipynb
    title          VARCHAR,
    metadata       JSON,
    etag           VARCHAR,
    last_modified  VARCHAR,
    fetched_at     TIMESTAMP,
    question_count INTEGER DEFAULT 0,
    first_run_id   VARCHAR NOT NULL,
    last_run_id    VARCHAR NOT NULL,
    blocks         INTEGER,                   -- blocks of the extracted document; each is exactly one of:
    blocks_question INTEGER,                  --   a question,
    blocks_answer  INTEGER,                   --   part of an answer,
    blocks_rejected INTEGER,                  --   or rejected, with its reason in `rejected`
    warning        VARCHAR,                   -- one line when the split looks wrong for this source
    found_by       VARCHAR,                   -- given | sitemap | feed | crawl | link (how the last run found it)
    found_from     VARCHAR                    -- the sitemap, feed, page or README it was found in; NULL if given
);

CREATE TABLE IF NOT EXISTS occurrences (
    question_id    VARCHAR PRIMARY KEY,
    source_uri     VARCHAR NOT NULL,
    position       INTEGER NOT NULL,          -- order within the source, 0-based
    section        VARCHAR,
    section_path   VARCHAR[],
    kind           VARCHAR,                   -- technical | coding | behavioral | situational | problem-solving
    level          VARCHAR,                   -- beginner | intermediate | advanced
    question       VARCHAR NOT NULL,          -- cleaned text
    question_raw   VARCHAR NOT NULL,          -- as it stood in the source
    answer         VARCHAR,                   -- Markdown; NULL when the source gives none
    answer_text    VARCHAR,                   -- plain text of answer
    follow_ups     VARCHAR[],
    rule           VARCHAR,                   -- splitter rule that found it
    match_key      VARCHAR NOT NULL,          -- normalized text used for matching
    cluster_id     VARCHAR NOT NULL,
    cluster_reason VARCHAR,                   -- why it joined its cluster
    first_run_id   VARCHAR NOT NULL,
    last_run_id    VARCHAR NOT NULL,
    parent         VARCHAR,                   -- the stem a sub-question reads with ("k-means clustering.")
    answer_kind    VARCHAR                    -- NULL: its own answer; inline: on the question's line; hint: a parenthetical hint
);

CREATE TABLE IF NOT EXISTS rejected (
    source_uri  VARCHAR NOT NULL,
    block_order INTEGER,
    text        VARCHAR NOT NULL,
    reason      VARCHAR NOT NULL,             -- snake_case: heading, boilerplate, interview_faq, ...
    section     VARCHAR,
    run_id      VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS clusters (
    cluster_id            VARCHAR PRIMARY KEY,
    canonical_question_id VARCHAR NOT NULL,
    first_run_id          VARCHAR NOT NULL,
    last_run_id           VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS cluster_merges (
    absorbed_id VARCHAR NOT NULL,
    into_id     VARCHAR NOT NULL,
    reason      VARCHAR,
    run_id      VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS matches (
    question_id VARCHAR NOT NULL,
    other_id    VARCHAR NOT NULL,
    score       DOUBLE NOT NULL,
    scorer      VARCHAR NOT NULL,
    accepted    BOOLEAN NOT NULL,
    rule        VARCHAR NOT NULL,
    run_id      VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS related (           -- v5: same concept, another ask; linked, never merged
    question_id VARCHAR NOT NULL,
    other_id    VARCHAR NOT NULL,
    score       DOUBLE NOT NULL,              -- the pair model's P(same) x 100; 100 for a curated link
    rule        VARCHAR NOT NULL,             -- model:related:<why> | curation
    run_id      VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS embeddings (        -- v5: one vector per match key and embedding model
    model      VARCHAR NOT NULL,              -- name and version, e.g. wordllama-0.4.0.post1-256d
    key_sha256 VARCHAR NOT NULL,              -- sha256 (hex) of the match key embedded
    vector     FLOAT[] NOT NULL,              -- unit length
    PRIMARY KEY (model, key_sha256)
);

CREATE TABLE IF NOT EXISTS taxonomy (          -- v1 name: topics (now the view over it)
    topic       VARCHAR PRIMARY KEY,          -- taxonomy id, e.g. 'nlp'
    label       VARCHAR NOT NULL,
    description VARCHAR,
    parent      VARCHAR
);

CREATE TABLE IF NOT EXISTS question_topics (
    question_id VARCHAR NOT NULL,
    topic       VARCHAR NOT NULL,
    score       DOUBLE NOT NULL,
    evidence    VARCHAR,
    PRIMARY KEY (question_id, topic)
);

-- Views: the stable surface users query. Documented column by column in docs/warehouse.md.

CREATE OR REPLACE VIEW questions AS
SELECT o.question_id, o.cluster_id, o.source_uri, o.position, o.section, o.section_path, o.kind, o.level,
       o.question, o.answer, o.follow_ups,
       coalesce((SELECT list(qt.topic ORDER BY qt.topic) FROM question_topics qt
                  WHERE qt.question_id = o.question_id), []::VARCHAR[]) AS topics,
       (o.question_id = c.canonical_question_id)       AS is_canonical,
       o.cluster_reason, o.question_raw, o.answer_text, o.rule, o.match_key, o.first_run_id, o.last_run_id,
       o.parent, o.answer_kind
FROM occurrences o
LEFT JOIN clusters c ON c.cluster_id = o.cluster_id;

CREATE OR REPLACE VIEW sources AS
SELECT source_uri, status, error, error_stage, question_count, title, format, media_type, content_sha256,
       etag, last_modified, fetched_at, metadata, first_run_id, last_run_id,
       blocks, blocks_question, blocks_answer, blocks_rejected, warning, found_by, found_from
FROM source_docs;

CREATE OR REPLACE VIEW topics AS
SELECT t.topic, t.label, t.description, t.parent,
       count(DISTINCT qt.question_id)                  AS question_count,
       count(DISTINCT o.cluster_id)                    AS cluster_count
FROM taxonomy t
LEFT JOIN question_topics qt ON qt.topic = t.topic
LEFT JOIN occurrences o ON o.question_id = qt.question_id
GROUP BY t.topic, t.label, t.description, t.parent;

CREATE OR REPLACE VIEW bank AS
WITH members AS (
    SELECT o.*, (o.question_id = c.canonical_question_id) AS is_canonical
    FROM occurrences o JOIN clusters c ON c.cluster_id = o.cluster_id
),
agg AS (
    SELECT cluster_id,
           count(DISTINCT source_uri)                  AS source_count,
           count(*)                                    AS variant_count,
           -- the canonical question's own answer, else the longest answer of a variant
           first(answer ORDER BY is_canonical DESC, length(answer) DESC, question_id)
               FILTER (WHERE answer IS NOT NULL)       AS answer,
           first(source_uri ORDER BY is_canonical DESC, length(answer) DESC, question_id)
               FILTER (WHERE answer IS NOT NULL)       AS answer_source_uri,
           list(struct_pack(question := question, source_uri := source_uri, section := section, answer := answer)
                ORDER BY source_uri, position, question_id) AS variants
    FROM members
    GROUP BY cluster_id
),
-- most common kind / level among the variants; a tie goes to the canonical question's, then alphabetical
kinds AS (
    SELECT cluster_id, first(kind ORDER BY n DESC, canon DESC, kind) AS kind
    FROM (SELECT cluster_id, kind, count(*) AS n, bool_or(is_canonical) AS canon
          FROM members WHERE kind IS NOT NULL GROUP BY cluster_id, kind)
    GROUP BY cluster_id
),
levels AS (
    SELECT cluster_id, first(level ORDER BY n DESC, canon DESC, level) AS level
    FROM (SELECT cluster_id, level, count(*) AS n, bool_or(is_canonical) AS canon
          FROM members WHERE level IS NOT NULL GROUP BY cluster_id, level)
    GROUP BY cluster_id
),
tags AS (
    SELECT m.cluster_id, list(DISTINCT qt.topic ORDER BY qt.topic) AS topics
    FROM question_topics qt JOIN members m ON m.question_id = qt.question_id
    GROUP BY m.cluster_id
),
-- clusters linked by a related pair of their members, both directions
links AS (
    SELECT cluster_id, list(DISTINCT other ORDER BY other) AS related
    FROM (SELECT a.cluster_id, b.cluster_id AS other
          FROM related r JOIN occurrences a ON a.question_id = r.question_id
                         JOIN occurrences b ON b.question_id = r.other_id
          UNION ALL
          SELECT b.cluster_id, a.cluster_id
          FROM related r JOIN occurrences a ON a.question_id = r.question_id
                         JOIN occurrences b ON b.question_id = r.other_id)
    WHERE cluster_id <> other
    GROUP BY cluster_id
)
SELECT c.cluster_id,
       canon.question                                  AS question,
       a.answer,
       a.answer_source_uri,
       coalesce(t.topics, []::VARCHAR[])               AS topics,
       k.kind,
       l.level,
       a.source_count,
       a.variant_count,
       a.variants,
       c.canonical_question_id,
       canon.source_uri                                AS canonical_source_uri,
       c.first_run_id,
       c.last_run_id,
       coalesce(r.related, []::VARCHAR[])              AS related
FROM clusters c
JOIN occurrences canon ON canon.question_id = c.canonical_question_id
JOIN agg a ON a.cluster_id = c.cluster_id
LEFT JOIN kinds k ON k.cluster_id = c.cluster_id
LEFT JOIN levels l ON l.cluster_id = c.cluster_id
LEFT JOIN tags t ON t.cluster_id = c.cluster_id
LEFT JOIN links r ON r.cluster_id = c.cluster_id;

-- What the pipeline did not keep as-is, and why: one row per event.
CREATE OR REPLACE VIEW audit AS
SELECT 'rejected' AS event, r.source_uri, r.text, r.reason, r.section AS detail,
       NULL::VARCHAR AS cluster_id, r.run_id
FROM rejected r
UNION ALL
SELECT 'merged', o.source_uri, o.question, coalesce(o.cluster_reason, 'merged'),
       'into: ' || canon.question, o.cluster_id, o.first_run_id
FROM occurrences o
JOIN clusters c ON c.cluster_id = o.cluster_id
JOIN occurrences canon ON canon.question_id = c.canonical_question_id
WHERE o.question_id <> c.canonical_question_id
UNION ALL
SELECT 'cluster_merged', NULL, m.absorbed_id, coalesce(m.reason, 'merged'), 'into cluster ' || m.into_id,
       m.into_id, m.run_id
FROM cluster_merges m
UNION ALL
SELECT 'near_miss', q.source_uri, q.question, m.rule,
       m.scorer || '=' || round(m.score, 1) || ', not merged with: ' || coalesce(other.question, m.other_id),
       q.cluster_id, m.run_id
FROM matches m
JOIN occurrences q ON q.question_id = m.question_id
LEFT JOIN occurrences other ON other.question_id = m.other_id
WHERE NOT m.accepted;

INSERT OR REPLACE INTO schema_info VALUES ('schema_version', '7');
