#!/bin/sh
# stream-summary: one line per recorded stream of an openSIDS dataset (session, type, stream,
# data file, size, rows and time span of text streams, nominal rate) in <out>/summary.tsv,
# with a resultbundle.json sidecar. Runs in a busybox-only image: sh, find and awk.
#   stream-summary.sh DATASET_DIR OUT_DIR DRY_RUN(0|1)
set -eu

dataset=${1:?usage: stream-summary.sh DATASET_DIR OUT_DIR DRY_RUN}
out=${2:?missing OUT_DIR}
dry_run=${3:-0}

streams=$(find "$dataset/sessions" -path '*/raw/*/str-*' -name '*_stream.yaml' 2>/dev/null | sort)
count=$(printf '%s\n' "$streams" | grep -c . || true)
echo "stream-summary: $count streams in $dataset"
if [ "$dry_run" = 1 ]; then
  printf '%s\n' "$streams" | sed 's/^/would summarize: /'
  exit 0
fi

tmp=$out/.summary.tsv.partial
printf 'session\ttype\tstream\tdata_file\tbytes\trows\tfirst_t\tlast_t\tunit\tnominal_rate_hz\n' >"$tmp"
for yaml in $streams; do
  dir=$(dirname "$yaml")
  stream=$(basename "$dir")
  type=$(basename "$(dirname "$dir")")
  session=$(basename "$(dirname "$(dirname "$(dirname "$dir")")")")
  data_file=$(awk -F': *' '$1 == "data_file" {print $2}' "$yaml")
  unit=$(awk -F': *' '$1 ~ /^ *unit$/ {print $2; exit}' "$yaml")
  rate=$(awk -F': *' '$1 ~ /^ *nominal_rate_hz$/ {print $2; exit}' "$yaml")
  path=$dir/$data_file
  if [ -z "$data_file" ] || [ ! -f "$path" ]; then
    echo "stream-summary: $stream: data file '$data_file' not found" >&2
    printf '%s\t%s\t%s\t%s\t\t\t\t\t%s\t%s\n' "$session" "$type" "$stream" "$data_file" "$unit" "$rate" >>"$tmp"
    continue
  fi
  bytes=$(wc -c <"$path" | tr -d ' ')
  case "$data_file" in
    *.csv|*.tsv)
      # Rows after the header; time span from the first column.
      awk -F'[,\t]' -v s="$session" -v t="$type" -v id="$stream" -v f="$data_file" -v b="$bytes" \
          -v u="$unit" -v r="$rate" '
        NR == 2 { first = $1 }
        NR > 1 && NF > 0 { rows++; last = $1 }
        END { printf "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\n", s, t, id, f, b, rows, first, last, u, r }
      ' "$path" >>"$tmp"
      ;;
    *)
      printf '%s\t%s\t%s\t%s\t%s\t\t\t\t%s\t%s\n' "$session" "$type" "$stream" "$data_file" "$bytes" "$unit" "$rate" >>"$tmp"
      ;;
  esac
done
mv "$tmp" "$out/summary.tsv"

cat >"$out/resultbundle.json" <<JSON
{
  "resultbundle_type": "mdivicom.stream_summary",
  "schema_version": "0.1.0",
  "time_reference": {"kind": "t_session", "unit": "s"},
  "producer": {"tool_ref": "mdivicom-examples/stream-summary", "tool_version": "0.1.0"},
  "files": [
    {"path": "summary.tsv", "role": "summary", "format": "tsv", "required": true}
  ]
}
JSON
echo "stream-summary: wrote $out/summary.tsv ($count streams)"
