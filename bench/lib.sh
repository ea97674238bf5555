# Shell helpers the benchmark scripts share (sourced by bench/run*.sh): the machine line of a report, and
# finding and running PostgreSQL's own tools.

# The machine a report was measured on: cores, CPU model, memory, kernel.
machine() {
  local model mem
  model=$(lscpu | sed -n 's/^Model name: *//p' | head -n1)
  mem=$(free -g | awk '/^Mem:/ {print $2}')
  echo "$(nproc) cores ($model), ${mem} GiB RAM, $(uname -sr)"
}

# The directory of initdb and pg_ctl: on the PATH, else the newest /usr/lib/postgresql/*/bin.
find_pg_bin() {
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    dirname "$(readlink -f "$(command -v initdb)")"
    return 0
  fi
  local dir
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [[ -x "$dir/initdb" && -x "$dir/pg_ctl" ]]; then
      echo "$dir"
      return 0
    fi
  done
  return 1
}

# Runs a command as the owner of the throwaway cluster: postgres when run as root (PostgreSQL refuses root).
as_pg_owner() {
  if [[ $(id -u) -eq 0 ]]; then
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

# Whether something listens on 127.0.0.1:$1.
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
