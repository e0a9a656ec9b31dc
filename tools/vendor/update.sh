#!/usr/bin/env bash
# Refresh _extra/_static/vendor: the JavaScript and fonts the static site serves itself, so
# that reading the book loads nothing from another host.  `html_extra_path: [_extra]` copies
# them to _build/html/_static/vendor.  (They must not live in the book's own _static folder:
# Jupyter Book adds every .js and .css file found there to every page.)
#
#   tools/vendor/update.sh          install the versions pinned in package-lock.json
#   tools/vendor/update.sh --latest re-resolve package.json and rewrite package-lock.json
#
# npm installs into a temporary directory (node_modules is never part of the repository);
# only the files pages actually load are copied, each package with its licence:
#   mathjax/        tex-chtml.js (TeX input incl. amsmath, CommonHTML output), the TeX
#                   extensions it autoloads on demand (\boldsymbol, \cancel, mhchem...),
#                   ui/lazy.js (typesets each formula when it comes into view; loaded by
#                   `loader: load:` in _config.yml), and the woff-v2 fonts it loads relative
#                   to its own URL
#   requirejs/      require.min.js (the AMD loader embed-amd.js needs), minified here
#   html-manager/   embed-amd.js (renders the widget state embedded in each page; it bundles
#                   @jupyter-widgets/base and controls) and the Font Awesome fonts its CSS
#                   loads relative to its own URL
#   thebe/          Live Code: thebe's bundle (index.js and the chunks it loads relative to
#                   its own URL, without source maps) and thebe.css; loaded only when a reader
#                   presses Live Code, by sphinx-thebe.js (the book's, in _extra/_static)
# widgets-setup.js (written for the book, not installed) tells RequireJS where those are;
# mathjax-setup.js (the same) holds the book's MathJax settings that take code.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
dest="$root/_extra/_static/vendor"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cp "$here/package.json" "$work/"
if [[ "${1:-}" != "--latest" && -f "$here/package-lock.json" ]]; then
  cp "$here/package-lock.json" "$work/"
  (cd "$work" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
else
  (cd "$work" && npm install --no-audit --no-fund --ignore-scripts --loglevel=error)
  cp "$work/package-lock.json" "$here/package-lock.json"
fi
nm="$work/node_modules"

# widgets-setup.js and mathjax-setup.js, the book's own glue code, live beside the packages
# and are kept.
rm -rf "$dest/mathjax" "$dest/requirejs" "$dest/html-manager" "$dest/thebe" "$dest/VERSIONS.txt"
mkdir -p "$dest"

# --- MathJax 3 --------------------------------------------------------------------------
mj="$nm/mathjax/es5"
mkdir -p "$dest/mathjax/input/tex/extensions" "$dest/mathjax/output/chtml/fonts" "$dest/mathjax/ui"
cp "$mj/tex-chtml.js" "$dest/mathjax/"
cp "$mj/ui/lazy.js" "$dest/mathjax/ui/"
# Extensions are fetched only when a page uses them; all-packages.js is never autoloaded.
find "$mj/input/tex/extensions" -maxdepth 1 -name '*.js' ! -name 'all-packages.js' \
  -exec cp {} "$dest/mathjax/input/tex/extensions/" \;
cp -r "$mj/output/chtml/fonts/woff-v2" "$dest/mathjax/output/chtml/fonts/"
cp "$nm/mathjax/LICENSE" "$dest/mathjax/LICENSE"

# --- RequireJS ---------------------------------------------------------------------------
mkdir -p "$dest/requirejs"
"$nm/.bin/terser" "$nm/requirejs/require.js" --compress --mangle --comments '/@license/' \
  --output "$dest/requirejs/require.min.js"
cp "$here/licenses/requirejs.txt" "$dest/requirejs/LICENSE"   # the npm package ships none

# --- @jupyter-widgets/html-manager -------------------------------------------------------
hm="$nm/@jupyter-widgets/html-manager/dist"
mkdir -p "$dest/html-manager"
# Drop the source-map comments: the maps are not shipped.
sed -e '/^\/\/# sourceMappingURL=/d' \
  "$hm/embed-amd.js" > "$dest/html-manager/embed-amd.js"
# Font Awesome (solid, regular, brands), which the widget CSS declares; every current browser
# takes the woff2 files, so the eot/svg/ttf/woff fallbacks are left out.
cp "$hm"/*.woff2 "$dest/html-manager/"
cp "$here/licenses/html-manager.txt" "$dest/html-manager/LICENSE"   # ipywidgets' BSD-3
cp "$hm/embed.js.LICENSE.txt" "$dest/html-manager/LICENSE.bundled.txt"
cp "$nm/@fortawesome/fontawesome-free/LICENSE.txt" "$dest/html-manager/LICENSE.fontawesome.txt"

# --- thebe (Live Code) ------------------------------------------------------------------
mkdir -p "$dest/thebe"
for f in "$nm/thebe/lib/"*.js; do
  sed -e '/^\/\/# sourceMappingURL=/d' "$f" > "$dest/thebe/$(basename "$f")"
done
cp "$nm/thebe/lib/thebe.css" "$dest/thebe/"
cp "$here/licenses/thebe.txt" "$dest/thebe/LICENSE"   # the npm package ships none
for f in "$nm/thebe/lib/"*.LICENSE.txt; do [[ -e "$f" ]] && cp "$f" "$dest/thebe/"; done

{
  echo "Installed by tools/vendor/update.sh from npm; do not edit by hand."
  for p in mathjax requirejs @jupyter-widgets/html-manager @fortawesome/fontawesome-free thebe; do
    node -e "const p=require('$nm/$p/package.json'); console.log(p.name + '@' + p.version + '  ' + p.license)"
  done
} > "$dest/VERSIONS.txt"

du -sh "$dest"
