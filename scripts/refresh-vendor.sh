#!/bin/sh
# Refresh the front-end libraries shipped under api/static/vendor/ from the npm registry.
# `make run` never runs this: the files are committed, pinned, with their licences. Change a
# version below, run this script, look at the pages (and `make test`), commit the result.
set -eu

CYTOSCAPE=3.34.4        # graph drawing, pan/zoom, events
CYTOSCAPE_DAGRE=4.0.1   # layered (Sugiyama) layout; bundles @dagrejs/dagre
DAGRE=3.1.3             # only for its licence: the copy bundled into cytoscape-dagre $CYTOSCAPE_DAGRE
CHARTJS=4.6.1           # the auditor dashboard's charts (canvas; a linear time axis, so no date adapter)

root=$(cd "$(dirname "$0")/.." && pwd)
vendor="$root/api/static/vendor"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

unpack() {  # package version -> $work/<name>/package
    name=$(echo "$1" | tr '/@' '__')
    (cd "$work" && npm pack --silent "$1@$2" >/dev/null && mkdir "$name" && tar xzf ./*.tgz -C "$name" && rm ./*.tgz)
    echo "$work/$name/package"
}

rm -rf "$vendor" && mkdir -p "$vendor"
cy=$(unpack cytoscape "$CYTOSCAPE")
cp "$cy/dist/cytoscape.min.js" "$vendor/cytoscape.min.js"
cp "$cy/LICENSE" "$vendor/cytoscape.LICENSE.txt"
cd_=$(unpack cytoscape-dagre "$CYTOSCAPE_DAGRE")
cp "$cd_/dist/cytoscape-dagre.min.js" "$vendor/cytoscape-dagre.min.js"
cp "$cd_/LICENSE" "$vendor/cytoscape-dagre.LICENSE.txt"
dg=$(unpack @dagrejs/dagre "$DAGRE")
cp "$dg/LICENSE" "$vendor/dagre.LICENSE.txt"
ch=$(unpack chart.js "$CHARTJS")
cp "$ch/dist/chart.umd.min.js" "$vendor/chart.umd.min.js"
cp "$ch/LICENSE.md" "$vendor/chart.js.LICENSE.txt"

{
    echo "# Front-end libraries, from the npm registry by scripts/refresh-vendor.sh. All MIT."
    echo "cytoscape $CYTOSCAPE"
    echo "cytoscape-dagre $CYTOSCAPE_DAGRE (bundles @dagrejs/dagre 3.x; its licence is taken from $DAGRE)"
    echo "chart.js $CHARTJS"
    echo
    (cd "$vendor" && sha256sum ./*.js | sed 's|\./||')
} > "$vendor/VERSIONS.txt"
echo "refreshed $vendor"
