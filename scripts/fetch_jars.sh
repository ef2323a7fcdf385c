#!/usr/bin/env bash
# Fallback for when Spark's Ivy resolver (--packages / spark.jars.packages) cannot
# fetch the JVM packages: download them and their runtime dependencies with Maven
# into .jars/, then print a comma-separated jar list for --jars / spark.jars.
#
#   scripts/fetch_jars.sh org.postgresql:postgresql:42.7.8 org.xerial:sqlite-jdbc:3.50.3.0
#   .venv/bin/python -m sparkdms.jvm | scripts/fetch_jars.sh
#   scripts/fetch_jars.sh                     # no args, no stdin: asks `python -m sparkdms.jvm`
#   scripts/fetch_jars.sh --no-transitive G:A:V ...
#
# Coordinates are groupId:artifactId:version, one per argument or per stdin line
# (blank lines and # comments ignored). Jars that Spark already ships (same artifactId
# in $SPARK_HOME/jars) are not copied, so the classpath never holds two versions.
# Logs go to stderr; stdout is only the jar list. Output dir: SPARKDMS_JARS_DIR (.jars).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="$ROOT/.venv/bin/python"
OUT="${SPARKDMS_JARS_DIR:-$ROOT/.jars}"
PLUGIN="org.apache.maven.plugins:maven-dependency-plugin:3.8.1"

log() { echo "[fetch_jars] $*" >&2; }
die() { echo "[fetch_jars] ERROR: $*" >&2; exit 1; }

transitive=1
coords=()
for arg in "$@"; do
    case "$arg" in
        --no-transitive) transitive=0 ;;
        -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 0 ;;
        *) coords+=("$arg") ;;
    esac
done

# No arguments: stdin if it is a pipe/file with content, else every engine's packages.
if ((${#coords[@]} == 0)) && [[ ! -t 0 ]]; then
    mapfile -t coords
fi
if ((${#coords[@]} == 0)) && [[ -x "$PY" ]] && "$PY" -c 'import sparkdms.jvm' 2>/dev/null; then
    log "no coordinates given; using: python -m sparkdms.jvm"
    mapfile -t coords < <("$PY" -m sparkdms.jvm)
fi

# Strip comments and blanks, validate G:A:V.
clean=()
for c in "${coords[@]}"; do
    c="${c%%#*}"
    c="$(echo "$c" | tr -d '[:space:]')"
    [[ -z "$c" ]] && continue
    [[ "$c" =~ ^[A-Za-z0-9_.-]+:[A-Za-z0-9_.-]+:[A-Za-z0-9_.+-]+$ ]] \
        || die "not a groupId:artifactId:version coordinate: '$c'"
    clean+=("$c")
done
((${#clean[@]} > 0)) || die "no coordinates given (args, stdin, or python -m sparkdms.jvm)"
command -v mvn >/dev/null || die "mvn not found (apt-get install -y maven)"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/jars" "$OUT"

mvn_quiet() {  # Maven's output is shown only when it fails
    if ! mvn -B -q -Dstyle.color=never "$@" >"$tmp/mvn.log" 2>&1; then
        sed 's/\x1b\[[0-9;]*m//g' "$tmp/mvn.log" | grep -v '^\[ERROR\] *$' | head -n 40 >&2
        return 1
    fi
}

if ((transitive)); then
    {
        echo '<project xmlns="http://maven.apache.org/POM/4.0.0">'
        echo '  <modelVersion>4.0.0</modelVersion>'
        echo '  <groupId>local.sparkdms</groupId><artifactId>fetch-jars</artifactId>'
        echo '  <version>0</version><packaging>pom</packaging>'
        echo '  <dependencies>'
        for c in "${clean[@]}"; do
            IFS=: read -r g a v <<<"$c"
            echo "    <dependency><groupId>$g</groupId><artifactId>$a</artifactId><version>$v</version></dependency>"
        done
        echo '  </dependencies>'
        echo '</project>'
    } >"$tmp/pom.xml"
    log "resolving ${#clean[@]} coordinate(s) and their runtime dependencies with Maven"
    mvn_quiet -f "$tmp/pom.xml" "$PLUGIN:copy-dependencies" \
        -DincludeScope=runtime -DoutputDirectory="$tmp/jars" \
        || die "Maven could not resolve: ${clean[*]}"
else
    for c in "${clean[@]}"; do
        log "fetching $c"
        mvn_quiet "$PLUGIN:copy" -Dartifact="$c" -DoutputDirectory="$tmp/jars" \
            || die "Maven could not fetch $c"
    done
fi

# artifactId of a jar file name "artifactId-1.2.3[-classifier].jar"
artifact_of() { sed -E 's/-[0-9][^-]*(-[A-Za-z0-9_.]+)?\.jar$//' <<<"$1"; }

declare -A shipped=()
spark_home="$("$PY" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))' 2>/dev/null || true)"
if [[ -n "$spark_home" && -d "$spark_home/jars" ]]; then
    for f in "$spark_home"/jars/*.jar; do shipped["$(artifact_of "$(basename "$f")")"]=1; done
fi

jars=()
skipped=0
for f in "$tmp"/jars/*.jar; do
    [[ -e "$f" ]] || continue
    name="$(basename "$f")"
    if [[ -n "${shipped[$(artifact_of "$name")]:-}" ]]; then
        skipped=$((skipped + 1))
        continue
    fi
    mv -f "$f" "$OUT/$name"
    jars+=("$OUT/$name")
done
((${#jars[@]} > 0)) || die "Maven produced no jars"
log "${#jars[@]} jar(s) in ${OUT#"$ROOT"/}/ ($skipped already shipped with Spark, not copied)"
(IFS=,; echo "${jars[*]}")
