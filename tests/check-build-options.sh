#!/bin/sh
# Builds each part alone (meson options app, server, cli), each in a new
# build directory where pkg-config cannot see the other parts' libraries,
# and checks which programs came out and what they link.
# Usage: check-build-options.sh SOURCE-DIR
set -eu
src=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# A pkg-config directory holding every .pc file of the system but those named.
pc_dir_without () {
  dir="$work/pc-$1"
  shift
  mkdir -p "$dir"
  for search in $(pkg-config --variable pc_path pkg-config | tr ':' ' '); do
    for pc in "$search"/*.pc; do
      [ -e "$pc" ] || continue
      name=$(basename "$pc" .pc)
      case " $* " in *" $name "*) continue ;; esac
      [ -e "$dir/$name.pc" ] || ln -s "$pc" "$dir/$name.pc"
    done
  done
  echo "$dir"
}

# build NAME "HIDDEN PACKAGES" MESON-OPTIONS...
build () {
  name=$1
  hidden=$2
  shift 2
  # shellcheck disable=SC2086
  pc=$(pc_dir_without "$name" $hidden)
  echo "== $name alone, without$(printf ' %s' $hidden)"
  PKG_CONFIG_LIBDIR=$pc meson setup --buildtype=plain -Dman=disabled "$@" "$work/$name" "$src" \
    > "$work/$name.log" 2>&1 || { cat "$work/$name.log"; exit 1; }
  ninja -C "$work/$name" > "$work/$name-build.log" 2>&1 || { tail -40 "$work/$name-build.log"; exit 1; }
}

# expect DIR PROGRAM present|absent
expect () {
  if [ "$3" = present ] && [ ! -x "$1/$2" ]; then
    echo "FAIL: $2 was not built"; exit 1
  fi
  if [ "$3" = absent ] && [ -e "$1/$2" ]; then
    echo "FAIL: $2 was built"; exit 1
  fi
}

# links_none PROGRAM LIBRARY...
links_none () {
  program=$1
  shift
  for lib in "$@"; do
    if readelf -d "$program" | grep NEEDED | grep -q "$lib"; then
      echo "FAIL: $program links $lib"; exit 1
    fi
  done
}

build app "libpq libsodium" -Dapp=true -Dserver=false -Dcli=false
expect "$work/app" src/app/skidka present
expect "$work/app" src/server/skidka-server absent
expect "$work/app" src/cli/skidka-cli absent
links_none "$work/app/src/app/skidka" libpq libsodium

build server "gtk4 libadwaita-1 libsecret-1" -Dapp=false -Dserver=true -Dcli=false
expect "$work/server" src/server/skidka-server present
expect "$work/server" src/app/skidka absent
expect "$work/server" src/cli/skidka-cli absent
links_none "$work/server/src/server/skidka-server" libgtk-4 libadwaita libsecret

build cli "gtk4 libadwaita-1 libsecret-1 libsodium" -Dapp=false -Dserver=false -Dcli=true
expect "$work/cli" src/cli/skidka-cli present
expect "$work/cli" src/app/skidka absent
expect "$work/cli" src/server/skidka-server absent
links_none "$work/cli/src/cli/skidka-cli" libgtk-4 libadwaita libsecret libsodium
"$work/cli/src/cli/skidka-cli" --version

echo "each part built alone"
