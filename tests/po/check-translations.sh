#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright 2026 The Popbell developers
#
# Every message of a freshly extracted template (not the committed one,
# which may be stale) must have a non-fuzzy translation in each language of
# po/LINGUAS, and every .po must compile with format checks.
#
#   check-translations.sh SOURCE_DIR
set -eu

SRC=${1:-.}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/popbell-i18n.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

cd "$SRC"

# The keywords and flags of meson's i18n.gettext(preset: 'glib').
xgettext --package-name=popbell --from-code=UTF-8 --add-comments \
  --keyword=_ --keyword=N_ --keyword=C_:1c,2 --keyword=NC_:1c,2 \
  --keyword=g_dcgettext:2 --keyword=g_dngettext:2,3 --keyword=g_dpgettext2:2c,3 \
  --flag=N_:1:pass-c-format --flag=C_:2:pass-c-format --flag=NC_:2:pass-c-format \
  --flag=g_dngettext:2:pass-c-format --flag=g_strdup_printf:1:c-format \
  --flag=g_string_printf:2:c-format --flag=g_string_append_printf:2:c-format \
  --flag=g_error_new:3:c-format --flag=g_set_error:4:c-format \
  --flag=g_markup_printf_escaped:1:c-format --flag=g_printerr:1:c-format \
  --flag=g_print:1:c-format --flag=g_prefix_error:2:c-format \
  --files-from=po/POTFILES.in --output="$TMP/fresh.pot"

n_msgs=$(grep -c '^msgid ' "$TMP/fresh.pot" || true)
status=0
for lang in $(sed -e 's/#.*//' po/LINGUAS); do
  po="po/$lang.po"
  if [ ! -f "$po" ]; then
    echo "not ok: $po is missing"
    status=1
    continue
  fi
  if ! msgfmt --check --check-format --output-file=/dev/null "$po"; then
    echo "not ok: $po does not compile cleanly"
    status=1
  fi
  # msgcmp: every msgid of the template needs a translation; untranslated and
  # fuzzy entries of the .po count as missing.
  if msgcmp "$po" "$TMP/fresh.pot" 2>"$TMP/msgcmp.err"; then
    echo "ok: $po translates all $((n_msgs - 1)) messages"
  else
    echo "not ok: $po lacks translations (run 'meson compile popbell-update-po', then translate):"
    msgmerge --quiet --no-fuzzy-matching --output-file="$TMP/merged.po" "$po" "$TMP/fresh.pot"
    msgattrib --untranslated --no-obsolete "$TMP/merged.po" | grep -E '^(#:|msgid)' | sed -n '3,80p'
    status=1
  fi
  fuzzy=$(msgattrib --only-fuzzy --no-obsolete "$po" | grep -c '^msgid ' || true)
  if [ "$fuzzy" -gt 0 ]; then
    echo "not ok: $po has $((fuzzy - 1)) fuzzy entries"
    status=1
  fi
done
exit $status
