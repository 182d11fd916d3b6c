-- API tokens: shown once at creation, stored as SHA-256 hashes (tokens are 256-bit random,
-- so a fast hash is enough); revoked tokens are kept for the audit trail.
CREATE TABLE tokens (
  id           bigserial PRIMARY KEY,
  name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  role         text NOT NULL CHECK (role IN ('viewer', 'planner', 'editor', 'admin')),
  hash         text NOT NULL UNIQUE,
  created_at   timestamptz NOT NULL DEFAULT now(),
  created_by   text,
  revoked_at   timestamptz,
  last_used_at timestamptz
);
