# A PyTorch reference for `npm run bench:train`: seconds per training iteration of the same CycleGAN (ResNet
# generators, 70×70 PatchGAN discriminators, instance norm, LSGAN, cycle and identity losses, Adam; batch 1)
# on this machine's CPU, measured in the same run as Darkroom's backends so that both see the machine at the
# same speed. Used only by the benchmark, and only when Debian's python3-torch is installed; never at runtime.
#   /usr/bin/python3 models/bench/pytorch-cyclegan.py --sizes 64,128 --ngf 32 --ndf 32 --blocks 6 \
#       --iterations 4 --warmup 2 --threads 2
# Prints one JSON line: {"torch": version, "threads": n, "sizes": {"64": {"mean", "median", "fastest"}, ...}}.
import argparse
import json
import statistics
import time

import torch
from torch import nn


def norm(channels):
    return nn.InstanceNorm2d(channels, affine=False, track_running_stats=False)


class ResidualBlock(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.body = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3), norm(channels), nn.ReLU(True),
            nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3), norm(channels),
        )

    def forward(self, x):
        return x + self.body(x)


def generator(ngf, blocks):
    layers = [nn.ReflectionPad2d(3), nn.Conv2d(3, ngf, 7), norm(ngf), nn.ReLU(True)]
    for i in range(2):
        width = ngf * 2 ** i
        layers += [nn.Conv2d(width, width * 2, 3, stride=2, padding=1), norm(width * 2), nn.ReLU(True)]
    layers += [ResidualBlock(ngf * 4) for _ in range(blocks)]
    for i in range(2):
        width = ngf * 4 // 2 ** i
        layers += [nn.ConvTranspose2d(width, width // 2, 3, stride=2, padding=1, output_padding=1), norm(width // 2), nn.ReLU(True)]
    layers += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, 3, 7), nn.Tanh()]
    return nn.Sequential(*layers)


def discriminator(ndf):
    layers = [nn.Conv2d(3, ndf, 4, stride=2, padding=1), nn.LeakyReLU(0.2, True)]
    width = ndf
    for stride in (2, 2, 1):
        layers += [nn.Conv2d(width, width * 2, 4, stride=stride, padding=1), norm(width * 2), nn.LeakyReLU(0.2, True)]
        width *= 2
    layers += [nn.Conv2d(width, 1, 4, stride=1, padding=1)]
    return nn.Sequential(*layers)


def seconds_per_iteration(size, args):
    torch.manual_seed(1)
    g_ab, g_ba = generator(args.ngf, args.blocks), generator(args.ngf, args.blocks)
    d_a, d_b = discriminator(args.ndf), discriminator(args.ndf)
    opt_g = torch.optim.Adam(list(g_ab.parameters()) + list(g_ba.parameters()), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(list(d_a.parameters()) + list(d_b.parameters()), lr=2e-4, betas=(0.5, 0.999))
    mse, l1 = nn.MSELoss(), nn.L1Loss()
    real_a = torch.rand(1, 3, size, size) * 2 - 1
    real_b = torch.rand(1, 3, size, size) * 2 - 1

    def step():
        for p in list(d_a.parameters()) + list(d_b.parameters()):
            p.requires_grad_(False)
        opt_g.zero_grad()
        fake_b, fake_a = g_ab(real_a), g_ba(real_b)
        rec_a, rec_b = g_ba(fake_b), g_ab(fake_a)
        idt_b, idt_a = g_ab(real_b), g_ba(real_a)
        pred_b, pred_a = d_b(fake_b), d_a(fake_a)
        loss_g = (mse(pred_b, torch.ones_like(pred_b)) + mse(pred_a, torch.ones_like(pred_a))
                  + 10 * (l1(rec_a, real_a) + l1(rec_b, real_b)) + 5 * (l1(idt_b, real_b) + l1(idt_a, real_a)))
        loss_g.backward()
        opt_g.step()
        for p in list(d_a.parameters()) + list(d_b.parameters()):
            p.requires_grad_(True)
        opt_d.zero_grad()
        loss_d = 0
        for d, real, fake in ((d_b, real_b, fake_b), (d_a, real_a, fake_a)):
            on_real, on_fake = d(real), d(fake.detach())
            loss_d = loss_d + 0.5 * (mse(on_real, torch.ones_like(on_real)) + mse(on_fake, torch.zeros_like(on_fake)))
        loss_d.backward()
        opt_d.step()

    for _ in range(args.warmup):
        step()
    times = []
    for _ in range(args.iterations):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return {'mean': statistics.mean(times), 'median': statistics.median(times), 'fastest': min(times)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--sizes', default='64,128')
    parser.add_argument('--ngf', type=int, default=32)
    parser.add_argument('--ndf', type=int, default=32)
    parser.add_argument('--blocks', type=int, default=6)
    parser.add_argument('--iterations', type=int, default=4)
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--threads', type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    sizes = {s: seconds_per_iteration(int(s), args) for s in args.sizes.split(',')}
    print(json.dumps({'torch': torch.__version__, 'threads': torch.get_num_threads(), 'sizes': sizes}))


if __name__ == '__main__':
    main()
