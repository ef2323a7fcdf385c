"""dynamodb type tables: for now Spark SQL's own (the rows as Spark holds them); the engine's
own table replaces this when its connector lands."""

from dataclasses import replace

from sparkdms.connectors.lake.types import SPARK

DYNAMODB = replace(SPARK, name="dynamodb", family="")
