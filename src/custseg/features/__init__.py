"""Turning raw data into one row of features per customer."""
