"""Transfers after delivery: third-party transfer requests under AECA §3, their decision and
execution, temporary transfers and their return, and the offices' inbox."""
