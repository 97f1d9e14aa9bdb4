#!/usr/bin/env bash
# haven.spark on a local Spark (local[2]): builds the wheel into its own venv with PySpark,
# then runs bindings/python/spark_tests. Needs Java 17 (java on PATH).
#
#   bash bindings/python/run-spark-tests.sh                       # 20,000 records (~1 min)
#   HAVEN_SPARK_MILLION=1 bash bindings/python/run-spark-tests.sh # one million records
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
venv="${SPARK_VENV:-$here/.venv-spark}"
python="${PYTHON:-python3}"

if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
fi
py="$venv/bin/python"
"$py" -m pip install --quiet --disable-pip-version-check maturin==1.16.0 pytest==9.2.0
# The package's own `spark` extra pulls pyspark, pyarrow and pandas<3.
cd "$repo"
"$py" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps ./bindings/python
"$py" -m pip install --quiet --disable-pip-version-check "pyspark>=3.5" "pyarrow>=14" "pandas<3"

export PYSPARK_PYTHON="$py" PYSPARK_DRIVER_PYTHON="$py" SPARK_LOCAL_IP=127.0.0.1
"$py" -m pytest -q -p no:cacheprovider bindings/python/spark_tests
