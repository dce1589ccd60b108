"""The demo dataset: its YAML files and the loaders that write them through the real
services and workflows (``secassist demo load``; ``make run``).

Layer: above ``workflows`` (the loaders offer cases through the offer workflow and its
gates), below the adapters that load it (``cli``). Every record is marked as demo data.
"""
