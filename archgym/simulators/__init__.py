"""Cost models, one package each; none imports envs, agents or another simulator."""
