-- salescore schema, version 2 (DESIGN.md section 2); db.MIGRATIONS brings older files here.
-- Money is DECIMAL(18,2), rates DOUBLE PRECISION in [0, 1], dates DATE. Ids are VARCHAR: stable
-- hashes of the natural key for imported rows, readable codes for demo rows.
-- batch_id points at imports.batch_id (NULL for rows typed in the app).

CREATE SEQUENCE IF NOT EXISTS seq_batch START 1;
CREATE SEQUENCE IF NOT EXISTS seq_note START 1;
CREATE SEQUENCE IF NOT EXISTS seq_action START 1;
CREATE SEQUENCE IF NOT EXISTS seq_event START 1;

CREATE TABLE IF NOT EXISTS reps (
    rep_id       VARCHAR PRIMARY KEY,
    name         VARCHAR NOT NULL,
    team         VARCHAR,
    region       VARCHAR,
    role         VARCHAR,
    manager      VARCHAR,
    hire_date    DATE,
    base_salary  DECIMAL(18,2),          -- per month
    active       BOOLEAN NOT NULL DEFAULT TRUE,
    batch_id     BIGINT,
    leave_date   DATE                    -- schema 3
);

CREATE TABLE IF NOT EXISTS customers (
    customer_id         VARCHAR PRIMARY KEY,
    name                VARCHAR NOT NULL,
    segment             VARCHAR,
    industry            VARCHAR,
    region              VARCHAR,
    source              VARCHAR,
    first_purchase_date DATE,
    batch_id            BIGINT
);

CREATE TABLE IF NOT EXISTS products (
    product_id   VARCHAR PRIMARY KEY,
    name         VARCHAR NOT NULL,
    category     VARCHAR,
    margin_rate  DOUBLE PRECISION,                 -- 0..1
    batch_id     BIGINT
);

-- deals has no PRIMARY KEY (schema 2): deal_id is unique because the importer upserts on it
-- and the demo replaces its own ids; without the index a 1M-row import stores in 0.4 s
-- instead of 1.5 s, and deletes (undo, demo reset) stay fast.
CREATE TABLE IF NOT EXISTS deals (
    deal_id             VARCHAR NOT NULL,
    name                VARCHAR,         -- the opportunity's own name (商机名称), not its customer
    rep_id              VARCHAR NOT NULL,
    customer_id         VARCHAR,
    product_id          VARCHAR,
    amount              DECIMAL(18,2),
    stage               VARCHAR,
    status              VARCHAR NOT NULL CHECK (status IN ('open', 'won', 'lost')),
    created_date        DATE,
    close_date          DATE,
    expected_close_date DATE,
    channel             VARCHAR,
    lost_reason         VARCHAR,
    is_new_customer     BOOLEAN,
    batch_id            BIGINT,
    -- schema 3 (added at the end: migrations append columns)
    order_id            VARCHAR,         -- 订单号 / Order ID: lines sharing it are one order
    currency            VARCHAR,         -- ISO code (CNY, USD, EUR ...); NULL = not known
    forecast_category   VARCHAR,         -- commit / best_case / pipeline / omitted (section 8)
    reached_stage       VARCHAR,         -- the furthest stage the file's own columns prove
                                         -- (a filled stage-date column, e.g. engage_date)
    -- schema 8: amount is in the reporting currency; amount_local as the file gave it, in
    -- the deal's own currency (salescore/fx.py converts at the month's rate)
    amount_local        DECIMAL(18,2)
);

-- schema 3: the data's date range ("today" = its last date), the same for every viewer: a
-- restricted connection sees it unfiltered (salescore/access.py), so a manager's period
-- figures are those of the company's calendar, not of the last deal their team closed.
CREATE OR REPLACE VIEW data_dates AS
    SELECT least(min(created_date), min(close_date)) AS first_date,
           greatest(max(created_date), max(close_date)) AS last_date
    FROM deals;

-- schema 3: one row per deal and import where a tracked value changed (DESIGN.md section 8);
-- the first import of a deal writes it once. Undo of a batch removes its rows.
CREATE TABLE IF NOT EXISTS deal_history (
    deal_id             VARCHAR NOT NULL,
    seen_at             DATE NOT NULL,   -- the export's date, else the import's
    batch_id            BIGINT,
    stage               VARCHAR,
    status              VARCHAR,
    amount              DECIMAL(18,2),
    expected_close_date DATE,
    close_date          DATE,
    rep_id              VARCHAR,
    forecast_category   VARCHAR,
    amount_local        DECIMAL(18,2)    -- schema 8: amount in the deal's own currency
);

CREATE TABLE IF NOT EXISTS activities (
    activity_id    VARCHAR PRIMARY KEY,
    rep_id         VARCHAR,
    customer_id    VARCHAR,
    deal_id        VARCHAR,
    activity_date  DATE NOT NULL,
    kind           VARCHAR,              -- call / visit / email / meeting
    outcome        VARCHAR,
    batch_id       BIGINT
);

CREATE TABLE IF NOT EXISTS satisfaction (
    customer_id  VARCHAR NOT NULL,
    survey_date  DATE NOT NULL,
    score        DOUBLE PRECISION NOT NULL,
    scale        VARCHAR NOT NULL CHECK (scale IN ('csat5', 'nps10')),
    rep_id       VARCHAR,                -- the rep who owns the account, when known
    batch_id     BIGINT,
    PRIMARY KEY (customer_id, survey_date)
);

CREATE TABLE IF NOT EXISTS trainings (
    rep_id      VARCHAR NOT NULL,
    course      VARCHAR NOT NULL,
    start_date  DATE NOT NULL,
    topic       VARCHAR,                 -- product / skills / customer / other
    hours       DOUBLE PRECISION,
    score       DOUBLE PRECISION,
    batch_id    BIGINT,
    PRIMARY KEY (rep_id, course, start_date)
);

CREATE TABLE IF NOT EXISTS payments (
    payment_id   VARCHAR PRIMARY KEY,
    deal_id      VARCHAR,
    customer_id  VARCHAR,
    rep_id       VARCHAR,
    paid_date    DATE NOT NULL,
    amount       DECIMAL(18,2) NOT NULL, -- 回款, in the reporting currency (salescore/fx.py)
    batch_id     BIGINT,
    amount_local DECIMAL(18,2)           -- schema 9: as the file gave it, in the deal's currency
);

CREATE TABLE IF NOT EXISTS targets (
    scenario  VARCHAR NOT NULL,
    period    VARCHAR NOT NULL,          -- a month, YYYY-MM
    scope     VARCHAR NOT NULL CHECK (scope IN ('company', 'team', 'rep')),
    scope_id  VARCHAR NOT NULL,          -- '' for company, team name, or rep_id
    metric    VARCHAR NOT NULL CHECK (metric IN ('revenue', 'new_customers', 'deals_won')),
    value     DECIMAL(18,2) NOT NULL,
    batch_id  BIGINT,
    PRIMARY KEY (scenario, period, scope, scope_id, metric)
);

CREATE TABLE IF NOT EXISTS plans (
    plan_id         VARCHAR NOT NULL,
    version         INTEGER NOT NULL,
    name            VARCHAR NOT NULL,
    spec            JSON NOT NULL,
    effective_from  DATE,
    created_at      TIMESTAMP NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (plan_id, version)
);

CREATE TABLE IF NOT EXISTS swot_notes (
    note_id   BIGINT PRIMARY KEY DEFAULT nextval('seq_note'),
    scope     VARCHAR NOT NULL,          -- team / rep
    scope_id  VARCHAR NOT NULL,
    quadrant  VARCHAR NOT NULL CHECK (quadrant IN ('S', 'W', 'O', 'T')),
    text      VARCHAR NOT NULL,
    origin    VARCHAR NOT NULL CHECK (origin IN ('auto', 'manual'))
);

CREATE TABLE IF NOT EXISTS actions (
    action_id   BIGINT PRIMARY KEY DEFAULT nextval('seq_action'),
    title       VARCHAR NOT NULL,
    rule        VARCHAR,                 -- goals/team/training/incentives/customers/data/process/evaluation
    owner       VARCHAR,
    start_date  DATE,
    due_date    DATE,
    status      VARCHAR,
    kpi         VARCHAR,
    baseline    DOUBLE PRECISION,
    target      DOUBLE PRECISION
);

CREATE TABLE IF NOT EXISTS imports (
    batch_id       BIGINT PRIMARY KEY,
    file_name      VARCHAR,
    sha256         VARCHAR,
    sheet          VARCHAR,
    kind           VARCHAR,
    rows_in        BIGINT,
    rows_loaded    BIGINT,
    rows_rejected  BIGINT,
    loaded_at      TIMESTAMP NOT NULL DEFAULT current_timestamp,
    status         VARCHAR NOT NULL DEFAULT 'loaded',  -- loaded / undone
    as_of          DATE                -- schema 6: the export's date (deal_history.seen_at)
);

CREATE TABLE IF NOT EXISTS settings (
    key    VARCHAR PRIMARY KEY,
    value  JSON
);

CREATE TABLE IF NOT EXISTS users (
    user_id        VARCHAR PRIMARY KEY,
    name           VARCHAR NOT NULL UNIQUE,
    role           VARCHAR NOT NULL CHECK (role IN ('admin', 'manager', 'rep', 'viewer')),
    team           VARCHAR,
    password_hash  VARCHAR,
    email          VARCHAR,                 -- single sign-on: the verified e-mail it matches
    sso            BOOLEAN DEFAULT false,   -- created for single sign-on (no password)
    session_epoch  INTEGER DEFAULT 0        -- +1 on a password change: other sessions end
);

CREATE TABLE IF NOT EXISTS audit_log (
    event_id  BIGINT PRIMARY KEY DEFAULT nextval('seq_event'),
    event_at  TIMESTAMP NOT NULL DEFAULT current_timestamp,
    user_name VARCHAR,
    action    VARCHAR NOT NULL,
    detail    JSON,
    restored_from VARCHAR                   -- NULL, or the backup a restored row came from
);

-- ingest (appended by the importer): rows an import overwrote, as JSON, so that undoing
-- that batch restores them exactly (salescore/ingest/load.py).
CREATE TABLE IF NOT EXISTS import_undo (
    batch_id    BIGINT NOT NULL,
    table_name  VARCHAR NOT NULL,
    row_data    JSON NOT NULL
);

-- rep photos (schema 5): one re-encoded square picture per rep for the star board, the
-- meeting slide and the deck (salescore/photos.py). No foreign key: a reset or re-import of
-- the reps keeps the photos, which come back with the rep_id.
CREATE TABLE IF NOT EXISTS rep_photos (
    rep_id      VARCHAR PRIMARY KEY,
    image       BYTEA NOT NULL,              -- PNG or JPEG, 256 x 256, no metadata
    mime        VARCHAR NOT NULL,           -- image/png or image/jpeg
    updated_at  TIMESTAMP NOT NULL DEFAULT current_timestamp
);

-- closed pay periods (schema 7, DESIGN.md section 8): per rep the payouts row (figures) and
-- the engine's lines as they were when the manager closed the period; never changed by later
-- imports (salescore/incentives/closing.py). Reopening deletes them (the audit log keeps it).
CREATE TABLE IF NOT EXISTS statements (
    period      VARCHAR NOT NULL,          -- 2026-Q3, 2026-07 or 2026
    plan_id     VARCHAR NOT NULL,
    version     INTEGER NOT NULL,
    rep_id      VARCHAR NOT NULL,
    figures     JSON NOT NULL,             -- the payouts row (money rounded to cents)
    lines       JSON NOT NULL,             -- the explanation lines, unrounded
    closed_at   TIMESTAMP NOT NULL DEFAULT current_timestamp,
    closed_by   VARCHAR,
    PRIMARY KEY (period, plan_id, rep_id)
);

-- forecast submissions (schema 7, DESIGN.md section 8): the forecast roll-up (company, teams,
-- reps) as submitted on a day, for forecast accuracy (salescore/history/forecast.py).
CREATE TABLE IF NOT EXISTS forecast_submissions (
    submission_id   BIGINT NOT NULL,
    period          VARCHAR NOT NULL,
    as_of           DATE NOT NULL,            -- the data's day the forecast was made on
    submitted_at    TIMESTAMP NOT NULL DEFAULT current_timestamp,
    submitted_by    VARCHAR,
    submission_note VARCHAR,
    level           VARCHAR NOT NULL,         -- company / team / rep
    scope_id        VARCHAR NOT NULL,         -- '' / team name / rep_id
    name            VARCHAR,
    team            VARCHAR,
    won             DOUBLE PRECISION,                   -- won so far in the period
    "commit"        DOUBLE PRECISION,                   -- open amounts per forecast category
    best_case       DOUBLE PRECISION,
    pipeline        DOUBLE PRECISION,
    omitted         DOUBLE PRECISION,
    commit_call     DOUBLE PRECISION,                   -- the calls (the manager's own where adjusted)
    best_case_call  DOUBLE PRECISION,
    adjusted        BOOLEAN,
    note            VARCHAR,
    PRIMARY KEY (submission_id, level, scope_id)
);

-- credit splits (schema 7, DESIGN.md section 10): a deal credited to several reps. kind
-- 'revenue': shares of the deal (they add up to 1 per deal); kind 'overlay': a specialist
-- credited on top. Attainment and commission follow the shares (salescore/incentives/lines.py).
CREATE TABLE IF NOT EXISTS deal_credits (
    deal_id   VARCHAR NOT NULL,
    rep_id    VARCHAR NOT NULL,
    share     DOUBLE PRECISION NOT NULL,                 -- 0.6 = 60%
    kind      VARCHAR NOT NULL DEFAULT 'revenue',
    batch_id  BIGINT,
    PRIMARY KEY (deal_id, rep_id, kind)
);

-- plan acknowledgements (schema 7, DESIGN.md section 10): a plan version published to its reps,
-- and when each one acknowledged it on their own page (salescore/incentives/acks.py).
CREATE TABLE IF NOT EXISTS plan_acks (
    plan_id          VARCHAR NOT NULL,
    version          INTEGER NOT NULL,
    rep_id           VARCHAR NOT NULL,
    published_at     TIMESTAMP NOT NULL DEFAULT current_timestamp,
    published_by     VARCHAR,
    acknowledged_at  TIMESTAMP,                -- NULL until the rep acknowledges
    acknowledged_by  VARCHAR,
    PRIMARY KEY (plan_id, version, rep_id)
);

-- disputes (schema 8, DESIGN.md section 10): a rep questions a statement line; the manager
-- accepts, changes or rejects it; an accepted or changed one is paid in paid_in
-- (salescore/incentives/disputes.py).
CREATE TABLE IF NOT EXISTS disputes (
    dispute_id      BIGINT PRIMARY KEY,
    period          VARCHAR NOT NULL,         -- the statement's pay period
    plan_id         VARCHAR NOT NULL,
    rep_id          VARCHAR NOT NULL,
    component       VARCHAR NOT NULL,         -- the line's component
    deal_id         VARCHAR,                  -- NULL: a line of the rep (base bonus ...)
    line_amount     DOUBLE PRECISION NOT NULL,          -- what the line paid
    claimed_amount  DOUBLE PRECISION NOT NULL,          -- what the rep believes it should pay
    reason          VARCHAR NOT NULL,
    status          VARCHAR NOT NULL DEFAULT 'open',   -- open / accepted / changed / rejected
    amount          DOUBLE PRECISION,                   -- the adjustment paid (0 when rejected)
    paid_in         VARCHAR,                  -- the open period that pays it
    reply           VARCHAR,
    raised_at       TIMESTAMP NOT NULL DEFAULT current_timestamp,
    raised_by       VARCHAR,
    resolved_at     TIMESTAMP,
    resolved_by     VARCHAR
);

-- exchange rates (schema 8, DESIGN.md section 10): units of the reporting currency one unit of
-- ``currency`` is worth in a month (YYYY-MM); a month without a row takes the latest earlier
-- one (salescore/fx.py).
CREATE TABLE IF NOT EXISTS fx_rates (
    currency           VARCHAR NOT NULL,     -- ISO code: USD
    month              VARCHAR NOT NULL,     -- YYYY-MM
    rate_to_reporting  DOUBLE PRECISION NOT NULL,      -- 7.1: 1 USD = 7.1 of the reporting currency
    batch_id           BIGINT,
    PRIMARY KEY (currency, month)
);

-- quota relief (schema 8, DESIGN.md section 10): a rep's quota lowered by ``share`` for the
-- working days from_date .. to_date (leave, a territory change), with the reason
-- (salescore/incentives/relief.py; applied in salescore/incentives/lines.py).
CREATE TABLE IF NOT EXISTS quota_relief (
    relief_id   BIGINT PRIMARY KEY,
    rep_id      VARCHAR NOT NULL,
    from_date   DATE NOT NULL,
    to_date     DATE NOT NULL,
    share       DOUBLE PRECISION NOT NULL,          -- 1.0: no quota on those days; 0.5: half
    reason      VARCHAR NOT NULL,
    created_at  TIMESTAMP NOT NULL DEFAULT current_timestamp,
    created_by  VARCHAR
);

-- effective-dated plan assignments and team moves (schema 9, DESIGN.md section 10;
-- salescore/incentives/assignments.py): a rep on a plan from_date .. to_date (NULL: open); a
-- plan with no row pays every rep. reps_history: the rep's team and manager per span (from_date
-- NULL: before the first move; to_date NULL: to this day).
CREATE TABLE IF NOT EXISTS plan_assignments (
    assignment_id BIGINT PRIMARY KEY,
    rep_id        VARCHAR NOT NULL,
    plan_id       VARCHAR NOT NULL,
    from_date     DATE NOT NULL,
    to_date       DATE,
    created_at    TIMESTAMP NOT NULL DEFAULT current_timestamp,
    created_by    VARCHAR
);
CREATE TABLE IF NOT EXISTS reps_history (
    move_id     BIGINT PRIMARY KEY,
    rep_id      VARCHAR NOT NULL,
    team        VARCHAR,
    manager     VARCHAR,
    from_date   DATE,
    to_date     DATE,
    created_at  TIMESTAMP NOT NULL DEFAULT current_timestamp,
    created_by  VARCHAR
);
