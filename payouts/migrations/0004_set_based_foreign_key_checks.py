"""Set-based foreign key checks for the tables a payout run fills in bulk (PostgreSQL only).

A monthly run writes about a million ``PayoutVideoLine`` rows, a hundred thousand allocations and
a few hundred thousand journal legs in one transaction. PostgreSQL checks a foreign key with one
query per inserted row (its ``RI_FKey_check_ins`` trigger), deferred to commit by Django: for a
100k-creator run that was about 3.5 million queries and 40 seconds of COMMIT.

Here the child-side check triggers of those foreign keys are disabled and replaced by one
statement-level trigger per table and event, which does the same check for the whole statement
with one query per foreign key over the statement's transition table: every referenced row must
exist, and is locked ``FOR KEY SHARE`` (as the row-level check does) so that a concurrent delete
of a parent waits for this transaction and then finds the new children. The constraints
themselves stay, with their parent-side triggers (ON DELETE / ON UPDATE of the referenced row),
so Django's schema state and ``PROTECT`` behaviour are unchanged. The check runs at the end of the
statement instead of at commit.

Disabling a constraint's internal trigger needs a superuser; where the migration runs as another
role, nothing is changed and the row-level checks stay (correct, only slower).
"""

from django.db import migrations

# (table, [(column, referenced table), ...]) whose child-side checks become set-based.
GUARDED = {
    "payouts_payoutvideoline": [
        ("run_id", "payouts_payoutrun"), ("video_id", "creators_video"), ("creator_id", "creators_creatorprofile"),
    ],
    "payouts_payoutallocation": [
        ("run_id", "payouts_payoutrun"), ("creator_id", "creators_creatorprofile"),
        ("entry_id", "payouts_journalentry"),
    ],
    "payouts_journalleg": [("entry_id", "payouts_journalentry"), ("account_id", "payouts_ledgeraccount")],
    "payouts_journalentry": [("created_by_id", "creators_user"), ("reverses_id", "payouts_journalentry")],
    "payouts_ledgeraccount": [("owner_id", "creators_user")],
}  # fmt: skip

FUNCTION_SQL = """
CREATE OR REPLACE FUNCTION payouts_set_based_fk_check() RETURNS trigger AS $$
-- TG_ARGV: column, referenced table, column, referenced table, ...
DECLARE
    i int := 0;
    wanted bigint;
    found bigint;
    nestloop text := current_setting('enable_nestloop');
BEGIN
    -- The planner cannot know how many distinct keys a transition table holds (it guesses 200)
    -- and would probe the parent's index once per key; for a bulk statement one pass over the
    -- parent with a hash join is several times faster (a million video lines: 8 s -> 3 s).
    IF (SELECT COUNT(*) FROM new_rows) > 10000 THEN
        PERFORM set_config('enable_nestloop', 'off', true);
    END IF;
    WHILE i < TG_NARGS LOOP
        -- Every distinct non-null key must find its parent row, locked as the row-level check does.
        EXECUTE format(
            'WITH k AS MATERIALIZED (SELECT DISTINCT %1$I AS id FROM new_rows WHERE %1$I IS NOT NULL), '
            'f AS (SELECT p.id FROM ONLY %2$I p JOIN k ON p.id = k.id FOR KEY SHARE OF p) '
            'SELECT (SELECT COUNT(*) FROM k), (SELECT COUNT(*) FROM f)', TG_ARGV[i], TG_ARGV[i + 1])
            INTO wanted, found;
        IF found <> wanted THEN
            RAISE EXCEPTION 'insert or update on table "%" violates a foreign key on column "%": '
                '% of % referenced % rows are missing',
                TG_TABLE_NAME, TG_ARGV[i], wanted - found, wanted, TG_ARGV[i + 1]
                USING ERRCODE = 'foreign_key_violation';
        END IF;
        i := i + 2;
    END LOOP;
    PERFORM set_config('enable_nestloop', nestloop, true);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""


def _is_superuser(cursor) -> bool:
    cursor.execute("SELECT current_setting('is_superuser') = 'on'")
    return bool(cursor.fetchone()[0])


def _child_check_triggers(cursor, table: str, column: str) -> list[str]:
    cursor.execute(
        """
        SELECT t.tgname FROM pg_trigger t
        JOIN pg_constraint c ON c.oid = t.tgconstraint AND c.contype = 'f'
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
        WHERE t.tgrelid = %s::regclass AND a.attname = %s
          AND t.tgfoid IN ('"RI_FKey_check_ins"'::regproc, '"RI_FKey_check_upd"'::regproc)
        """,
        [table, column],
    )
    return [row[0] for row in cursor.fetchall()]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        if not _is_superuser(cursor):
            return
        cursor.execute(FUNCTION_SQL)
        for table, references in GUARDED.items():
            args = ", ".join(f"'{part}'" for pair in references for part in pair)
            for event in ("INSERT", "UPDATE"):
                name = f"{table}_fk_{event.lower()}"
                cursor.execute(
                    f"CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING NEW TABLE AS new_rows "
                    f"FOR EACH STATEMENT EXECUTE FUNCTION payouts_set_based_fk_check({args})"
                )
            for column, _ in references:
                for trigger in _child_check_triggers(cursor, table, column):
                    cursor.execute(f'ALTER TABLE {table} DISABLE TRIGGER "{trigger}"')


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        if not _is_superuser(cursor):
            return
        for table, references in GUARDED.items():
            for column, _ in references:
                for trigger in _child_check_triggers(cursor, table, column):
                    cursor.execute(f'ALTER TABLE {table} ENABLE TRIGGER "{trigger}"')
            for event in ("insert", "update"):
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_fk_{event} ON {table}")
        cursor.execute("DROP FUNCTION IF EXISTS payouts_set_based_fk_check()")


class Migration(migrations.Migration):
    dependencies = [("payouts", "0003_runs")]

    operations = [migrations.RunPython(forwards, backwards)]
