-- 0008: staff and bots (issue 11). Numbered 0008 with 0007 developed
-- alongside; migrations are applied by number, each once.

-- Set by Apply when a connector reported the account as staff of the
-- community it syncs (connectors.Account.Staff); never cleared by a sync.
ALTER TABLE identities ADD COLUMN staff INTEGER NOT NULL DEFAULT 0;

-- A person's mark (rollcall mark): 'staff', 'bot' or 'none' (explicitly
-- neither); NULL when nobody marked the member. It wins over the team
-- list and the identities' staff and bot flags.
ALTER TABLE members ADD COLUMN role_mark TEXT;
