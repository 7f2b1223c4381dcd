"""The project's own polars code per partition (a county or a city) inside Spark tasks.

Steps that are not rules of the DSL (income accounting, the alert declarations' templates, C01–C03's
placement, pairing's optimisation) run as themselves: every input table is tagged with its
partition key, cut into Arrow IPC slices per key (``mapInArrow``), and ``groupBy(key).applyInArrow``
hands one partition's slices of every table to one Python task, which rebuilds the frames, calls
the step and returns its frames as slices again. So several tables of different shapes reach one
task through Spark's shuffle (never through the driver), and any table comes out with its own
schema (:func:`unpack`).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import polars as pl

#: The column that carries each row's partition key.
PART = "__part"
#: Rows per IPC slice a task returns (bounds the size of one binary cell).
SLICE_ROWS = 200_000
_PACKED_DDL = "part string, tbl string, data binary"

Step = Callable[[str, dict[str, pl.DataFrame]], dict[str, pl.DataFrame]]

_SPARK_TYPES: dict[Any, str] = {
    pl.Utf8: "string",
    pl.Int64: "bigint",
    pl.Int32: "int",
    pl.UInt32: "bigint",
    pl.Float64: "double",
    pl.Boolean: "boolean",
    pl.Date: "date",
}


def spark_type(dtype: Any) -> str:
    """The Spark SQL type of a polars dtype of the project's frames."""
    return _SPARK_TYPES[dtype]


def spark_ddl(schema: Mapping[str, Any]) -> str:
    """A Spark DDL schema of a polars schema."""
    return ", ".join(f"`{name}` {spark_type(dtype)}" for name, dtype in schema.items())


def _arrow_schema(schema: Mapping[str, Any]) -> Any:
    import pyarrow as pa

    types = {
        pl.Utf8: pa.string(),
        pl.Int64: pa.int64(),
        pl.Int32: pa.int32(),
        pl.UInt32: pa.int64(),
        pl.Float64: pa.float64(),
        pl.Boolean: pa.bool_(),
        pl.Date: pa.date32(),
    }
    return pa.schema([(name, types[dtype]) for name, dtype in schema.items()])


def _ipc(frame: pl.DataFrame) -> bytes:
    buf = io.BytesIO()
    frame.write_ipc(buf)
    return buf.getvalue()


def _packed(parts: list[str], tables: list[str], data: list[bytes]) -> Any:
    import pyarrow as pa

    return pa.table(
        {
            "part": pa.array(parts, pa.string()),
            "tbl": pa.array(tables, pa.string()),
            "data": pa.array(data, pa.binary()),
        }
    )


def pack(name: str, frame: Any) -> Any:
    """The Spark DataFrame ``frame`` (with a :data:`PART` column) as IPC slices per partition key."""

    def cut(batches: Iterator[Any]) -> Iterator[Any]:
        for batch in batches:
            if batch.num_rows == 0:
                continue
            rows = pl.DataFrame(pl.from_arrow(batch))
            parts, data = [], []
            for (key,), piece in rows.partition_by(PART, as_dict=True).items():
                parts.append(str(key))
                data.append(_ipc(piece.drop(PART)))
            yield from _packed(parts, [name] * len(parts), data).to_batches()

    return frame.mapInArrow(cut, _PACKED_DDL)


def run(
    inputs: Mapping[str, Any],
    step: Step,
    schemas: Mapping[str, Mapping[str, Any]],
    partitions: int | None = None,
) -> Any:
    """Run ``step(key, frames)`` once per partition key over the tagged Spark DataFrames ``inputs``.

    ``schemas`` gives every input's polars schema, so a partition without rows of a table still
    gets an empty frame of it (and Spark's types are cast back to the project's). The result is a
    packed DataFrame: read each output table with :func:`unpack`.
    """
    packed = None
    for name, frame in inputs.items():
        one = pack(name, frame)
        packed = one if packed is None else packed.unionByName(one)
    if packed is None:
        raise ValueError("no inputs")
    if partitions:
        packed = packed.repartition(partitions, "part")
    wanted = {name: dict(schema) for name, schema in schemas.items()}

    def task(table: Any) -> Any:
        key = table.column("part")[0].as_py()
        pieces: dict[str, list[pl.DataFrame]] = {}
        for tbl, data in zip(table.column("tbl").to_pylist(), table.column("data").to_pylist(), strict=True):
            pieces.setdefault(tbl, []).append(pl.read_ipc(data))
        given = {}
        for name, schema in wanted.items():
            got = (
                pl.concat(pieces[name], how="vertical_relaxed")
                if name in pieces
                else pl.DataFrame(schema=schema)
            )
            given[name] = got.select([pl.col(c).cast(t) for c, t in schema.items()])
        parts, tables, data = [], [], []
        for name, frame in step(key, given).items():
            for piece in frame.iter_slices(SLICE_ROWS) if frame.height else [frame]:
                parts.append(key)
                tables.append(name)
                data.append(_ipc(piece))
        return _packed(parts, tables, data)

    return packed.groupBy("part").applyInArrow(task, _PACKED_DDL)


def unpack(packed: Any, name: str, schema: Mapping[str, Any]) -> Any:
    """Output table ``name`` of a :func:`run` result as a Spark DataFrame with ``schema``'s types."""
    from pyspark.sql import functions as F

    types = dict(schema)
    arrow = _arrow_schema(types)

    def expand(batches: Iterator[Any]) -> Iterator[Any]:
        for batch in batches:
            for data in batch.column("data").to_pylist():
                frame = pl.read_ipc(data).select([pl.col(c).cast(t) for c, t in types.items()])
                if frame.height:
                    yield from frame.to_arrow().cast(arrow).to_batches()

    return packed.filter(F.col("tbl") == name).select("data").mapInArrow(expand, spark_ddl(types))
