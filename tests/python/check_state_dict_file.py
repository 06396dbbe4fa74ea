"""Interop of ganflow's state-dict files with torch.save / torch.load, both ways.

Usage: check_state_dict_file.py GANFLOW_FILE OUT_FILE
Reads the file ganflow wrote (a Linear(3, 2) followed by a BatchNorm1d(2)) the way a PyTorch
user would, loads it strictly into the same architecture built in PyTorch, and writes that
model's state dict with every value doubled via torch.save for ganflow to read back."""
import sys

import torch

from common import Checker

c = Checker()
sd = torch.load(sys.argv[1], weights_only=True)  # PyTorch 2.6+'s default
model = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))
c.true(f"keys {sorted(sd)} are not the model's {sorted(model.state_dict())}", set(sd) == set(model.state_dict()))
model.load_state_dict(sd, strict=True)
c.close("linear weight after load", model[0].weight, sd["0.weight"])
c.true("values are the C++ ones (linear bias = [0.5, -0.25])",
       torch.equal(model[0].bias.detach(), torch.tensor([0.5, -0.25])))
torch.save({k: v * 2 for k, v in model.state_dict().items()}, sys.argv[2])
c.finish()
