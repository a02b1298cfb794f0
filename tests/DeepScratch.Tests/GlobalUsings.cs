// System.Numerics.Tensors also defines a Tensor type; in the tests the name means DeepScratch's.
global using Tensor = DeepScratch.Tensors.Tensor;
