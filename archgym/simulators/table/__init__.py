"""Tables of (parameters -> metrics) rows as simulators: published design-space datasets.

Example:
    >>> import pandas as pd
    >>> from archgym.simulators.table import TableSimulator
    >>> sim = TableSimulator(pd.DataFrame({"pes": [4, 8], "energy_pj": [9.0, 7.5]}), metrics=["energy_pj"])
    >>> sim.evaluate({"pes": 8})
    {'energy_pj': 7.5}
"""

from archgym.simulators.table.table import TableSimulator, infer_param, read_table

__all__ = ["TableSimulator", "infer_param", "read_table"]
