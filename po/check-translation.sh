#!/bin/sh
# Fails if any translatable string of the sources has no Russian translation
# in po/ru.po (or a fuzzy one), or if ru.po has format errors.
# Usage: check-translation.sh SOURCE_ROOT
# SPDX-License-Identifier: GPL-3.0-or-later
set -eu
root="$1"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# Every source with a translatable string is listed: one left out has its
# strings shown in English whatever the language.
missing=""
for file in $(cd "$root" && grep -l -E '(^|[^a-z_])(_|N_|C_) \("' src/*/*.c) \
  $(cd "$root" && grep -l 'translatable="yes"' ui/*.ui); do
  grep -qx "$file" "$root/po/POTFILES.in" || missing="$missing $file"
done
if [ -n "$missing" ]; then
  echo "translatable strings in files po/POTFILES.in does not list:$missing" >&2
  exit 1
fi

# The same extraction as meson's gettext "glib" preset.
xgettext --directory="$root" --files-from="$root/po/POTFILES.in" \
  --from-code=UTF-8 --add-comments \
  --keyword=_ --keyword=N_ --keyword=C_:1c,2 --keyword=NC_:1c,2 \
  --keyword=g_dcgettext:2 --keyword=g_dngettext:2,3 --keyword=g_dpgettext2:2c,3 \
  --flag=N_:1:pass-c-format --flag=C_:2:pass-c-format --flag=NC_:2:pass-c-format \
  --flag=g_dngettext:2:pass-c-format --flag=g_strdup_printf:1:c-format \
  --flag=g_string_printf:2:c-format --flag=g_string_append_printf:2:c-format \
  --flag=g_set_error:4:c-format --flag=g_printf:1:c-format \
  --output="$tmp/skidka.pot" 2>/dev/null

# A message cut short at a "%": a format macro xgettext does not know
# (G_GINT64_FORMAT) ends it there, and the catalogue never matches the
# whole; PRId64 is the one it knows.
cut="$(msggrep --msgid -E -e '([^%]|^)(%%)*%$' "$tmp/skidka.pot" | grep -c '^msgid' || true)"
if [ "$cut" -gt 1 ]; then
  echo "messages cut at a % (G_GINT64_FORMAT in a translatable string? use PRId64):" >&2
  msggrep --msgid -E -e '([^%]|^)(%%)*%$' "$tmp/skidka.pot" >&2
  exit 1
fi
msgfmt --check --output-file=/dev/null "$root/po/ru.po"
# Every message of the sources is in ru.po and translated.
msgcmp "$root/po/ru.po" "$tmp/skidka.pot"
fuzzy="$(msgattrib --only-fuzzy --no-obsolete "$root/po/ru.po")"
if [ -n "$fuzzy" ]; then
  echo "fuzzy translations in po/ru.po:" >&2
  echo "$fuzzy" >&2
  exit 1
fi
untranslated="$(msgattrib --untranslated --no-obsolete "$root/po/ru.po")"
if [ -n "$untranslated" ]; then
  echo "untranslated strings in po/ru.po:" >&2
  echo "$untranslated" >&2
  exit 1
fi
echo "po/ru.po: every string is translated"
