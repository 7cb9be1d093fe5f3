-- qbank warehouse schema: the only definition of tables and views.
-- Tables hold facts; views are the stable surface users query (bank, questions, sources, topics, audit).
-- schema_version is bumped with every change; warehouse/store.py migrates older files forward.

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
    questions_added   INTEGER DEFAULT 0,
    questions_removed INTEGER DEFAULT 0,
    clusters_total INTEGER DEFAULT 0,
    checks         JSON                       -- data-quality check results of this run
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
    last_run_id    VARCHAR NOT NULL
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
    last_run_id    VARCHAR NOT NULL
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

CREATE TABLE IF NOT EXISTS topics (
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

-- Views: the stable surface. `questions` and `sources` are the names users query.

CREATE OR REPLACE VIEW questions AS
SELECT question_id, source_uri, position, section, kind, level, question, answer, follow_ups,
       cluster_id, question_raw, answer_text, rule, match_key, first_run_id, last_run_id
FROM occurrences;

CREATE OR REPLACE VIEW sources AS
SELECT source_uri, status, error, content_sha256, fetched_at, question_count, format, title,
       media_type, error_stage, first_run_id, last_run_id
FROM source_docs;

CREATE OR REPLACE VIEW bank AS
SELECT c.cluster_id,
       canon.question                                  AS question,
       coalesce(canon.answer, (SELECT o.answer FROM occurrences o
                                WHERE o.cluster_id = c.cluster_id AND o.answer IS NOT NULL
                                ORDER BY length(o.answer) DESC, o.question_id LIMIT 1)) AS answer,
       (SELECT list(DISTINCT qt.topic ORDER BY qt.topic) FROM question_topics qt
         JOIN occurrences o ON o.question_id = qt.question_id
        WHERE o.cluster_id = c.cluster_id)             AS topics,
       (SELECT mode(o.kind) FROM occurrences o WHERE o.cluster_id = c.cluster_id) AS kind,
       (SELECT mode(o.level) FROM occurrences o WHERE o.cluster_id = c.cluster_id) AS level,
       (SELECT count(DISTINCT o.source_uri) FROM occurrences o WHERE o.cluster_id = c.cluster_id) AS source_count,
       (SELECT count(*) FROM occurrences o WHERE o.cluster_id = c.cluster_id) AS variant_count,
       c.canonical_question_id,
       c.first_run_id,
       c.last_run_id
FROM clusters c
JOIN occurrences canon ON canon.question_id = c.canonical_question_id;
