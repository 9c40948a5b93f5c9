#!/usr/bin/python3
"""The baseline of bench/e2e: what Fivetran's Python example (AWS Athena via SQLAlchemy + PyAthena)
does for a sync, written with Debian's boto3: start the query, poll it, page through
GetQueryResults (1,000 rows a page), convert each value the way PyAthena's default converter does,
build each row as a dict and upsert it into a dict keyed by the primary key.

Usage: python_baseline.py <endpoint_url> <table> <primary_key>   (prints "rows <n>")
"""
import sys
import time
from decimal import Decimal

import boto3

POLL_SECONDS = 1.0  # PyAthena's default poll_interval


def converter(type_name):
    if type_name in ("tinyint", "smallint", "integer", "bigint"):
        return int
    if type_name in ("float", "real", "double"):
        return float
    if type_name == "decimal":
        return Decimal
    if type_name == "boolean":
        return lambda text: text.lower() == "true"
    return lambda text: text


def main():
    endpoint, table, primary_key = sys.argv[1], sys.argv[2], sys.argv[3]
    athena = boto3.client("athena", region_name="us-east-1", endpoint_url=endpoint,
                          aws_access_key_id="test", aws_secret_access_key="test")
    query_id = athena.start_query_execution(
        QueryString=f'SELECT * FROM "{table}"',
        QueryExecutionContext={"Database": "default"},
        ResultConfiguration={"OutputLocation": "s3://athena-results/baseline/"},
    )["QueryExecutionId"]
    while True:
        state = athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]["Status"]["State"]
        if state == "SUCCEEDED":
            break
        if state in ("FAILED", "CANCELLED"):
            raise SystemExit(f"query {query_id} {state}")
        time.sleep(POLL_SECONDS)

    upserted = {}
    names = None
    converters = None
    first = True
    for page in athena.get_paginator("get_query_results").paginate(
            QueryExecutionId=query_id, PaginationConfig={"PageSize": 1000}):
        if names is None:
            info = page["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]
            names = [column["Name"] for column in info]
            converters = [converter(column["Type"]) for column in info]
        rows = page["ResultSet"]["Rows"]
        if first:
            rows = rows[1:]  # the column-name row of a SELECT's first page
            first = False
        for row in rows:
            record = {}
            for name, convert, datum in zip(names, converters, row["Data"]):
                text = datum.get("VarCharValue")
                record[name] = None if text is None else convert(text)
            upserted[record[primary_key]] = record
    print(f"rows {len(upserted)}")


if __name__ == "__main__":
    main()
