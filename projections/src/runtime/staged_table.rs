//! A read-model table rebuilt beside the live one (PostgreSQL): `<table>_rebuild` is created without indexes by
//! one of the rebuild's writers, filled, indexed in one pass per index and committed, and finally put in the live
//! table's place (drop, rename) by the rebuild's own transaction. Readers keep reading the live table until that
//! commits; only the final swap takes its exclusive lock, for as long as the renames and the commit take.
//!
//! The new table copies the live one's columns, defaults and constraints (`LIKE … INCLUDING ALL EXCLUDING
//! INDEXES`), the privileges granted on it to other roles (a reporting role that reads a read model keeps
//! reading it after a rebuild), and gets the same indexes under the same names, from the catalogue. Privileges
//! granted on single columns are not carried over.

use sqlx::postgres::PgConnection;

/// One index of the live table, to be built on the new one.
struct Index {
    name: String,
    /// `CREATE … INDEX` for the new table, under a temporary name.
    create: String,
    /// `PRIMARY KEY` or `UNIQUE` when the index backs that constraint of the same name.
    constraint: Option<String>,
}

/// A table being rebuilt.
pub(crate) struct StagedTable {
    table: String,
    indexes: Vec<Index>,
}

impl StagedTable {
    /// Creates the empty `<table>_rebuild` (dropping one a failed rebuild left behind) and notes the live
    /// table's indexes.
    pub(crate) async fn create(
        conn: &mut PgConnection,
        table: &str,
    ) -> Result<StagedTable, sqlx::Error> {
        let staged = staged_name(table);
        sqlx::query(&format!("DROP TABLE IF EXISTS {staged}"))
            .execute(&mut *conn)
            .await?;
        sqlx::query(&format!(
            "CREATE TABLE {staged} (LIKE {table} INCLUDING ALL EXCLUDING INDEXES)"
        ))
        .execute(&mut *conn)
        .await?;
        let grants: Vec<(String,)> = sqlx::query_as(
            "SELECT format('GRANT %s ON %I TO %s%s', a.privilege_type, CAST($2 AS TEXT),
                           CASE WHEN a.grantee = 0 THEN 'PUBLIC'
                                ELSE quote_ident(pg_get_userbyid(a.grantee)) END,
                           CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END)
             FROM pg_class c, aclexplode(c.relacl) a
             WHERE c.oid = CAST($1 AS regclass) AND a.grantee <> c.relowner",
        )
        .bind(table)
        .bind(&staged)
        .fetch_all(&mut *conn)
        .await?;
        for (grant,) in grants {
            sqlx::query(&grant).execute(&mut *conn).await?;
        }
        let rows: Vec<(String, String, Option<String>)> = sqlx::query_as(
            "SELECT c.relname::text, pg_get_indexdef(i.indexrelid),
                    CASE con.contype WHEN 'p' THEN 'PRIMARY KEY' WHEN 'u' THEN 'UNIQUE' END
             FROM pg_index i
             JOIN pg_class c ON c.oid = i.indexrelid
             LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.conrelid = i.indrelid
                                         AND con.contype IN ('p', 'u')
             WHERE i.indrelid = $1::regclass
             ORDER BY i.indisprimary DESC, c.relname",
        )
        .bind(table)
        .fetch_all(&mut *conn)
        .await?;
        let mut indexes = Vec::with_capacity(rows.len());
        for (name, definition, constraint) in rows {
            let create = retarget(&definition, &name, table).ok_or_else(|| {
                sqlx::Error::Protocol(format!(
                    "cannot rebuild index {name} of {table}: unexpected definition {definition:?}"
                ))
            })?;
            indexes.push(Index {
                name,
                create,
                constraint,
            });
        }
        Ok(StagedTable {
            table: table.to_string(),
            indexes,
        })
    }

    /// Where the rows go.
    pub(crate) fn name(&self) -> String {
        staged_name(&self.table)
    }

    /// Builds the indexes of the filled table.
    pub(crate) async fn index(&self, conn: &mut PgConnection) -> Result<(), sqlx::Error> {
        for index in &self.indexes {
            sqlx::query(&index.create).execute(&mut *conn).await?;
        }
        Ok(())
    }

    /// Puts the new table in the live one's place, with the live one's index and constraint names.
    pub(crate) async fn swap(&self, conn: &mut PgConnection) -> Result<(), sqlx::Error> {
        let table = &self.table;
        sqlx::query(&format!("DROP TABLE {table}"))
            .execute(&mut *conn)
            .await?;
        sqlx::query(&format!("ALTER TABLE {} RENAME TO {table}", self.name()))
            .execute(&mut *conn)
            .await?;
        for index in &self.indexes {
            let staged = staged_name(&index.name);
            let sql = match &index.constraint {
                Some(kind) => format!(
                    "ALTER TABLE {table} ADD CONSTRAINT {} {kind} USING INDEX {staged}",
                    index.name
                ),
                None => format!("ALTER INDEX {staged} RENAME TO {}", index.name),
            };
            sqlx::query(&sql).execute(&mut *conn).await?;
        }
        Ok(())
    }
}

/// The name of the table (or index) being rebuilt beside `name`.
pub(crate) fn staged_name(name: &str) -> String {
    format!("{name}_rebuild")
}

/// `CREATE [UNIQUE] INDEX name ON [schema.]table USING …` → the same on the staged table, named `name_rebuild`.
fn retarget(definition: &str, name: &str, table: &str) -> Option<String> {
    let head = format!("INDEX {name} ON ");
    let at = definition.find(&head)?;
    let rest = &definition[at + head.len()..];
    let target_end = rest.find(" USING ")?;
    let target = &rest[..target_end];
    let unqualified = target.rsplit('.').next()?;
    if unqualified != table {
        return None;
    }
    Some(format!(
        "{}INDEX {} ON {}{}",
        &definition[..at],
        staged_name(name),
        staged_name(target),
        &rest[target_end..]
    ))
}

#[cfg(test)]
mod tests {
    use super::retarget;

    #[test]
    fn retargets_index_definitions() {
        assert_eq!(
            retarget(
                "CREATE INDEX memories_by_user ON public.memories USING btree (uid, scoring DESC, id)",
                "memories_by_user",
                "memories"
            )
            .as_deref(),
            Some("CREATE INDEX memories_by_user_rebuild ON public.memories_rebuild USING btree (uid, scoring DESC, id)")
        );
        assert_eq!(
            retarget(
                "CREATE UNIQUE INDEX conversations_public ON conversations USING btree (created_at DESC, id) WHERE (visibility <> 'private'::text)",
                "conversations_public",
                "conversations"
            )
            .as_deref(),
            Some("CREATE UNIQUE INDEX conversations_public_rebuild ON conversations_rebuild USING btree (created_at DESC, id) WHERE (visibility <> 'private'::text)")
        );
        assert_eq!(
            retarget(
                "CREATE INDEX x ON public.other USING btree (a)",
                "x",
                "memories"
            ),
            None
        );
    }
}
