"""Writes the tiny PyTorch exports under src/onnx/testing/pytorch/ that src/onnx/pytorch-ops.test.ts imports.

Each file is a small net using one export pattern PyTorch users write (timm-style squeeze-excite with
x.mean((2, 3)) and [:, :, None, None], LeakyReLU, squeeze of a size-1 axis), exported by torch.onnx.export
with a dynamic batch at two opsets: 11 (Unsqueeze/Squeeze axes as attributes) and 17 (axes as an input).
Run from the repository root with Debian's python3-torch (1.13): /usr/bin/python3 scripts/pytorch-op-fixtures.py
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = 'src/onnx/testing/pytorch'


class SeKeep(nn.Module):
    """Squeeze-excite gate pooled with x.mean((2, 3), keepdim=True) (ReduceMean keepdims 1), LeakyReLU(0.1)."""

    def __init__(self):
        super().__init__()
        self.c = nn.Conv2d(3, 8, 3, padding=1)
        self.r = nn.Conv2d(8, 4, 1)
        self.e = nn.Conv2d(4, 8, 1)
        self.fc = nn.Linear(8, 3)

    def forward(self, x):
        h = F.leaky_relu(self.c(x), 0.1)
        g = torch.sigmoid(self.e(torch.relu(self.r(h.mean((2, 3), keepdim=True)))))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(h * g, 1), 1))


class SeFlat(nn.Module):
    """Squeeze-excite with x.mean((2, 3)) (ReduceMean keepdims 0), Linear layers and [:, :, None, None] (Unsqueeze)."""

    def __init__(self):
        super().__init__()
        self.c = nn.Conv2d(3, 8, 3, padding=1)
        self.r = nn.Linear(8, 4)
        self.e = nn.Linear(4, 8)
        self.fc = nn.Linear(8, 3)

    def forward(self, x):
        h = nn.LeakyReLU()(self.c(x))  # default slope 0.01
        g = torch.sigmoid(self.e(torch.relu(self.r(h.mean((-2, -1))))))[:, :, None, None]
        return self.fc((h * g).mean((2, 3)))


class Squeeze(nn.Module):
    """A 1x1-pooled map squeezed to a vector: x.squeeze(-1).squeeze(-1) (Squeeze of axes 3 and 2)."""

    def __init__(self):
        super().__init__()
        self.c = nn.Conv2d(3, 6, 3, stride=2, padding=1)
        self.fc = nn.Linear(6, 3)

    def forward(self, x):
        return self.fc(F.adaptive_avg_pool2d(F.leaky_relu(self.c(x), 0.2), 1).squeeze(-1).squeeze(-1))


class ChannelMean(nn.Module):
    """A mean over the channel axis (ReduceMean axes [1]): hwnas refuses it (the test checks the message)."""

    def __init__(self):
        super().__init__()
        self.c = nn.Conv2d(3, 4, 3, padding=1)

    def forward(self, x):
        return self.c(x).mean(1, keepdim=True)


if __name__ == '__main__':
    for name, cls in [('se-keep', SeKeep), ('se-flat', SeFlat), ('squeeze', Squeeze), ('channel-mean', ChannelMean)]:
        for opset in (11, 17):
            torch.manual_seed(0)
            m = cls().eval()
            torch.onnx.export(m, torch.zeros(1, 3, 8, 8), f'{OUT}/{name}-op{opset}.onnx', opset_version=opset,
                              input_names=['x'], output_names=['y'], dynamic_axes={'x': {0: 'n'}, 'y': {0: 'n'}})
