-- 全过程留痕 in the database itself: the audit table is append-only for every client, not only
-- through the API (which has no route that edits it). UPDATE, DELETE and TRUNCATE on `audit` raise,
-- even when they would touch no row (statement-level triggers); INSERT is untouched.
-- What this does not stop: the table's owner (or a superuser) dropping these triggers, or
-- `ALTER TABLE audit DISABLE TRIGGER` — a deliberate, visible act, unlike a stray UPDATE. Against
-- that too, run the service as a database role that does not own the table.
CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '审计记录只能追加，不能修改或删除 (the audit table is append-only: % refused)', TG_OP
    USING ERRCODE = 'insufficient_privilege', HINT = 'audit rows are evidence (全过程留痕); add a new row instead';
END
$$;

CREATE TRIGGER audit_append_only
  BEFORE UPDATE OR DELETE OR TRUNCATE ON audit
  FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
