"""Built-in environments: each module here binds a simulator, a default workload and an
objective to an env id with :func:`archgym.register_env`; importing this package registers them all."""

import importlib
import pkgutil

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
