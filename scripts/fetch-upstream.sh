#!/usr/bin/env bash
# Fetches the material from outside the repository that some tests read (test/helpers/upstream.ts):
# Falco's three rule files and Falco's capture files, at pinned versions, each checked against the
# SHA-256 of the copy the tests were written against. Without it those tests are skipped, with the
# reason in their names.
#
#   scripts/fetch-upstream.sh [DIR]
#
# DIR defaults to $TSFALCO_UPSTREAM_DIR, else ../shared next to the repository (where the tests
# look by default). Files already there with the right sum are kept. A download goes to a
# temporary name beside its destination and is renamed only once its sum is right, so an
# interrupted or failed run never leaves a partial or unchecked file under the real name.
#
# Not fetched: falco-compat/ (Falco's legacy regression tests, falcosecurity/testing, as data, in
# tsfalco's own conversion) is not published anywhere. Without it the falco-compat suite and the
# few tests that read its rule and config files stay skipped.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-${TSFALCO_UPSTREAM_DIR:-$repo/../shared}}

RULES=https://raw.githubusercontent.com/falcosecurity/rules/c72713ee2e6330195979124de4f656546ad1e0fd/rules
FALCO=https://raw.githubusercontent.com/falcosecurity/falco/0.33.1/test/trace_files
LIBS=https://raw.githubusercontent.com/falcosecurity/libs/135cc56c07c6d9e91539dc4321ca480a09883f46/test/libsinsp_e2e/resources/captures
LIBS_V6=https://raw.githubusercontent.com/falcosecurity/libs/c0e67262dee286f249bfbb8fd72fe1810122f5e8/test/libsinsp_e2e/resources/captures
WIRESHARK=https://raw.githubusercontent.com/wireshark/wireshark/ab4565fb79ac8dd95d03ae59a57d239972e8c200/test/captures

# Destination (under DIR), source, SHA-256 of the file as stored, and "gunzip" for a source that
# is gzipped once more than the stored file.
FILES=(
  "falco-rules/falco_rules.yaml             $RULES/falco_rules.yaml                 1c15d5d543635b76e31cca39d7df8bf4caf50a428613c314d92986a23bfcb617"
  "falco-rules/falco-incubating_rules.yaml  $RULES/falco-incubating_rules.yaml      47bf87041e2f39ca336e7acf1ae4e6183771a92e81031f367d01f2b49cabe1ac"
  "falco-rules/falco-sandbox_rules.yaml     $RULES/falco-sandbox_rules.yaml         6849ec5e9b55ba81ca5214559dc1a1c32e051acc0a7791da7841a850f853f59a"
  "fixtures/scap/cat_write.scap             $FALCO/cat_write.scap                   149a61acba2ec18ef53a6c35f6dff7aa60b870f7727685cfb2dc84de3c511039"
  "fixtures/scap/connect_localhost.scap     $FALCO/connect_localhost.scap           76f3bb647ec59aba26fe3d2b2c02a7cf6c8c1e314f5dda0efc18618b6c4af241"
  "fixtures/scap/empty.scap                 $FALCO/empty.scap                       24c6a17ec125f7756ac5e98a56298f8a8faa63e74900105a980e3eb57a0a635e"
  "fixtures/scap/open-multiple-files.scap   $FALCO/open-multiple-files.scap         ee33f9b1ea326b98c03cd01d66a549e3d46376ba02e3e12ee5595d0a41a40bbb"
  "fixtures/scap/ping_sendto.scap           $FALCO/ping_sendto.scap                 1f416cf767366c7c3bb4c97d2a8fda33c2b1a80866e3db9fa722ecb759828858"
  "fixtures/scap/syscall.scap               $FALCO/syscall.scap                     7d31e91bfe5f027042d24be4a2d0206beb8ed736e4c69154ec1db3fa91cb09af"
  "fixtures/scap/libs_curl_google.scap      $LIBS/curl_google.scap                  115ebaf7404b26a5e5fb18461dd9f7ce41dd33605e1ace100cad582feb60c1d4"
  "fixtures/scap/libs_test_ipv6_client.scap $LIBS/test_ipv6_client.scap             9667e96de63ca757b99a5990bef1b2f50c2f32c30e97dd442cf5efc9e752cd80"
  "fixtures/scap/libs_single_ipv6_conn.scap $LIBS_V6/single_ipv6_conn.scap         e66b455ff012442c03140e7c8c11984bd5683fcb2863b0bd0051d178ebaff10c"
  "fixtures/scap/libs_curl_google_comments.scap $WIRESHARK/curl_google_comments.scap.gz 8df31424796313d6823e6006580ab8e54085fb919e717a45c09f7bfb2d5f873d gunzip"
)

sha256() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" | cut -d' ' -f1; else shasum -a 256 "$1" | cut -d' ' -f1; fi
}

# The temporary files of the download under way, removed however the script ends.
tmp=
trap 'rm -f "${tmp:-}" "${tmp:+$tmp.gunzip}"' EXIT

# fetch DEST URL SUM [gunzip]: 0 when DEST holds the right file, else a message on stderr and 1.
fetch() {
  local dest=$dir/$1 url=$2 want=$3 unzip=${4:-} got
  if [ -f "$dest" ] && [ "$(sha256 "$dest")" = "$want" ]; then
    echo "ok      $1"
    return 0
  fi
  mkdir -p "$(dirname "$dest")"
  tmp=$(mktemp "$dest.part.XXXXXX")
  if ! curl -fsSL --retry 3 -o "$tmp" "$url"; then
    echo "fetch-upstream: $1: download failed: $url" >&2
    rm -f "$tmp"
    return 1
  fi
  got=$(sha256 "$tmp")
  # Our copy of the wireshark capture is itself a gzip stream (scap readers take gzip): whether
  # the .scap.gz upstream is that stream or a gzip of it could not be checked offline, so the
  # download is taken as it is when its sum is right, else once gunzipped.
  if [ "$got" != "$want" ] && [ "$unzip" = gunzip ]; then
    if gzip -dc <"$tmp" >"$tmp.gunzip" 2>/dev/null; then
      mv -f "$tmp.gunzip" "$tmp"
      got="$got, gunzipped $(sha256 "$tmp")"
    else
      rm -f "$tmp.gunzip"
    fi
  fi
  if [ "${got##* }" != "$want" ]; then
    echo "fetch-upstream: $1: wrong SHA-256 for $url: expected $want, got $got" >&2
    rm -f "$tmp"
    return 1
  fi
  chmod 644 "$tmp" # mktemp made it private
  mv -f "$tmp" "$dest"
  echo "fetched $1"
}

failed=0
for entry in "${FILES[@]}"; do
  # shellcheck disable=SC2086 # the entry's fields are words
  fetch $entry || failed=$((failed + 1))
done
if [ "$failed" -gt 0 ]; then
  echo "fetch-upstream: $failed of ${#FILES[@]} files could not be fetched into $dir" >&2
  exit 1
fi
echo "fetch-upstream: ${#FILES[@]} files in $dir (falco-compat/ is not published: its suite stays skipped without it)"
