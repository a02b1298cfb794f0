using DeepScratch.Kernels;
using DeepScratch.Layers;
using DeepScratch.Tests.Layers;
using DeepScratch.Models;
using DeepScratch.Training;
using DeepScratch.Training.Optimizers;

namespace DeepScratch.Tests.Training;

/// <summary>Runs alone: it counts the bytes the whole process allocates, which a test running beside it would add to.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AllocationCountingCollection
{
    public const string Name = "Allocation counting";
}

/// <summary>
/// Issue 12's steady state: once its buffers exist, a training iteration of the book's fully connected networks (the
/// Trainer's own iteration: batch gather, forward, loss, backward, update, checks) allocates nothing, on the calling
/// thread or on the worker pool's threads.
/// </summary>
[Collection(AllocationCountingCollection.Name)]
public sealed class TrainingAllocationTests
{
    private const int Batch = 100;
    // Steady state: long enough for every one-time growth (per-thread kernel buffers sized by whatever ran on this
    // thread before, in a full test run) to be behind us; a periodic or per-iteration allocation still shows below.
    private const int Warm = 50;
    private const int Measured = 40;

    public static TheoryData<string> Networks => ["two-layer", "multi-layer-extend"];

    [Theory]
    [MemberData(nameof(Networks))]
    public void A_training_iteration_allocates_nothing_in_steady_state(string kind)
    {
        var (network, optimizer) = Create(kind);
        var x = GradientCheck.Random([1000, 784], new Random(2), 1);
        var t = Tensor.FromValues(Enumerable.Range(0, 1000).Select(i => (float)(i * 7 % 10)).ToArray());
        var trainer = new Trainer(network, optimizer, new TrainerOptions(Batch, 1));
        var detector = new DivergenceDetector(10);
        var order = Enumerable.Range(0, 1000).ToArray();
        new Random(3).Shuffle(order);
        var xBatch = Tensor.Zeros(Batch, 784);
        var tBatch = Tensor.Zeros(Batch);
        int iteration = 0;
        void Step() => trainer.Iterate(++iteration, x, t, order.AsSpan(iteration * Batch % 1000, Batch), xBatch, tBatch, detector);

        for (int i = 0; i < Warm; i++)
        {
            Step();
        }

        long thread = GC.GetAllocatedBytesForCurrentThread();
        long process = GC.GetTotalAllocatedBytes(precise: true);
        for (int i = 0; i < Measured; i++)
        {
            Step();
        }

        long processBytes = GC.GetTotalAllocatedBytes(precise: true) - process;
        long threadBytes = GC.GetAllocatedBytesForCurrentThread() - thread;
        Assert.Equal(0, threadBytes);
        // Process-wide, so the worker pool's threads are counted too; the slack (under 100 bytes per iteration, less
        // than any tensor) is for the test host's own threads, which may allocate meanwhile.
        Assert.InRange(processBytes, 0, 4096);
        Assert.True(double.IsFinite(network.LastDataLoss) && network.LastDataLoss < Math.Log(10) + 1, $"loss {network.LastDataLoss}");
    }

    private static (LayeredNetwork Network, IOptimizer Optimizer) Create(string kind) => kind == "two-layer"
        ? (new TwoLayerNet(784, 50, 10, 0.01, seed: 1), new Sgd(0.1))
        : (new MultiLayerNetExtend(784, [100, 100, 100, 100], 10, "relu", "he", useBatchnorm: true, seed: 1), new Adam(0.001));
}

/// <summary>
/// The images need no gradient: the network's Gradient asks its first layer for the parameter gradients only, so the
/// first Affine never packs Wᵀ for dx = dout·Wᵀ, while every later Affine does once per iteration.
/// </summary>
public sealed class FirstLayerInputGradientTests
{
    [Fact]
    public void Gradient_never_computes_the_first_layers_dx()
    {
        var network = new MultiLayerNetExtend(784, [100, 100], 10, "relu", "he", useBatchnorm: true, seed: 1);
        var x = GradientCheck.Random([20, 784], new Random(2), 1);
        var t = Tensor.FromValues(Enumerable.Range(0, 20).Select(i => (float)(i % 10)).ToArray());
        for (int i = 0; i < 3; i++)
        {
            network.Gradient(x, t);
        }

        var affines = network.Layers.OfType<Affine>().ToArray();
        // x·W packs W once per step unless the GEMM reads a W this narrow in place (AVX-512): then never.
        int ForwardPacks(Affine a) => Gemm.ReadsInPlace(Transpose.No, 20, a.W.Value.Dim(1), a.W.Value.Dim(0)) ? 0 : 3;
        Assert.Equal((ForwardPacks(affines[0]), 0), affines[0].PackCounts);
        Assert.All(affines.Skip(1), a => Assert.Equal((ForwardPacks(a), 3), a.PackCounts));

        // dW1 and db1 still those of the full backward: W1's layer run alone on the same input and dout.
        var first = affines[0];
        var reference = new Affine(new Parameter("W", first.W.Value.Clone()), new Parameter("b", first.B.Value.Clone()));
        var dout = GradientCheck.Random([20, 100], new Random(4), 1);
        first.Forward(x, train: true);
        first.BackwardParameters(dout);
        reference.Forward(x, train: true);
        reference.Backward(dout);
        Assert.Equal(reference.W.Grad.ToArray(), first.W.Grad.ToArray());
        Assert.Equal(reference.B.Grad.ToArray(), first.B.Grad.ToArray());
    }
}
