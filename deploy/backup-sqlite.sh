#!/usr/bin/env bash
# Online backup of a botaz SQLite database, safe while botaz is running (docs/deploy.md, "Backups").
#
#   backup-sqlite.sh [DATABASE] [DEST_DIR]
#
#   DATABASE  a path or a sqlite:/// URL; default: $BOTAZ_DATABASE_URL
#   DEST_DIR  where copies go; default: /var/backups/botaz
#
# Environment:
#   BOTAZ_DATA_DIR  if set, its attachments/ folder is archived too, after the database
#   BACKUP_KEEP     how many backups to keep (default 14); older ones are removed
#   PYTHON          interpreter to use (default: python3)
#
# The copy is made with SQLite's online backup API in one step, inside one read transaction:
# a consistent snapshot of every committed transaction, taken without stopping writers (the
# database is in WAL mode). It is then checked with PRAGMA integrity_check, written to a
# temporary name, fsynced and renamed, so DEST_DIR never holds a half-written backup.
# Run it as the user botaz runs as (it needs to read the database and its -wal/-shm files), e.g.
#   sudo -u botaz BOTAZ_DATA_DIR=/var/lib/botaz/data deploy/backup-sqlite.sh \
#       sqlite:////var/lib/botaz/botaz.db /var/backups/botaz
# Restore: see docs/deploy.md ("Restore"); stop botaz and remove the old -wal and -shm files.
set -euo pipefail

database="${1:-${BOTAZ_DATABASE_URL:-}}"
dest="${2:-/var/backups/botaz}"
keep="${BACKUP_KEEP:-14}"
python="${PYTHON:-python3}"

die() { echo "backup-sqlite: $*" >&2; exit 1; }

[ -n "$database" ] || die "usage: $0 DATABASE [DEST_DIR] (or set BOTAZ_DATABASE_URL)"
case "$database" in
    sqlite:///*) path="${database#sqlite:///}" ;;
    sqlite://*) path="${database#sqlite://}" ;;
    *://*) die "$database is not a SQLite database (PostgreSQL: use pg_dump, see docs/deploy.md)" ;;
    *) path="$database" ;;
esac
[ -f "$path" ] || die "there is no database file at $path"
[[ "$keep" =~ ^[1-9][0-9]*$ ]] || die "BACKUP_KEEP must be a whole number above 0"
command -v "$python" >/dev/null || die "$python not found (set PYTHON)"

# Backups hold every conversation: readable by their owner only.
umask 077
mkdir -p "$dest"
# One backup at a time.
exec 9>"$dest/.backup-sqlite.lock"
if command -v flock >/dev/null; then
    flock -n 9 || die "another backup into $dest is running"
fi

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
final="$dest/botaz-$stamp.db"
tmp="$final.tmp"
trap 'rm -f "$tmp" "$tmp-journal" "$dest/botaz-$stamp-attachments.tar.gz.tmp"' EXIT

"$python" - "$path" "$tmp" <<'PY'
import os
import sqlite3
import sys

source_path, target_path = sys.argv[1], sys.argv[2]
source = sqlite3.connect(source_path, timeout=30)
source.execute("PRAGMA busy_timeout=30000")
target = sqlite3.connect(target_path)
# pages=-1: every page in one step, so the copy is one snapshot and never restarts.
source.backup(target, pages=-1)
source.close()
# A self-contained file: no -wal beside it. botaz switches a restored copy back to WAL.
mode = target.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
check = target.execute("PRAGMA integrity_check").fetchall()
if check != [("ok",)]:
    sys.exit(f"backup-sqlite: integrity check of the copy failed: {check[:5]}")
tables = {r[0] for r in target.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
counts = {t: target.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0]
          for t in ("accounts", "visitors", "messages", "attachments") if t in tables}
target.close()
with open(target_path, "rb") as f:
    os.fsync(f.fileno())
print("backup-sqlite: copied " + ", ".join(f"{n} {t}" for t, n in counts.items()), file=sys.stderr)
PY
mv "$tmp" "$final"

if [ -n "${BOTAZ_DATA_DIR:-}" ]; then
    if [ -d "$BOTAZ_DATA_DIR/attachments" ]; then
        # After the database: every file its snapshot refers to was written before it.
        archive="$dest/botaz-$stamp-attachments.tar.gz"
        # Files may arrive or be erased meanwhile: GNU tar then warns and exits 1, which is fine.
        status=0
        tar -C "$BOTAZ_DATA_DIR" --exclude='*.part' --warning=no-file-changed -czf "$archive.tmp" attachments || status=$?
        [ "$status" -le 1 ] || die "tar failed with status $status"
        mv "$archive.tmp" "$archive"
    else
        echo "backup-sqlite: no $BOTAZ_DATA_DIR/attachments yet; nothing to archive" >&2
    fi
fi
sync "$dest" 2>/dev/null || sync

# Keep the newest $keep backups (and their attachment archives).
mapfile -t old < <(find "$dest" -maxdepth 1 -name 'botaz-*Z.db' -printf '%f\n' | sort -r | tail -n +"$((keep + 1))")
for name in "${old[@]}"; do
    rm -f "$dest/$name" "$dest/${name%.db}-attachments.tar.gz"
done

echo "$final"
