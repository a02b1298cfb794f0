// System.Numerics.Tensors has a static class named Tensor too; inside the library the name means ours.
global using Tensor = DeepScratch.Tensors.Tensor;
