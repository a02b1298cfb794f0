using DeepScratch.Layers;
using DeepScratch.Training;
using DeepScratch.Training.Optimizers;

namespace DeepScratch.Tests.Training.Optimizers;

public class OptimizerTests
{
    // (a) Two steps on a 2x2 parameter W0 with gradients G1 then G2, every optimizer at the book's defaults.
    // The expected values come from the book's common/optimizer.py classes (formulas copied verbatim) run by
    // /usr/bin/python3 with numpy 1.24 in float64:
    //   p = {'W': W0.copy()}; opt.update(p, {'W': G1}); step1 = p['W']; opt.update(p, {'W': G2}); step2 = p['W']
    // The library computes in float32, so they are compared to 1e-6 (a few float32 ulps of values near 3).
    private static readonly float[] W0 = [1f, -2f, 0.5f, 3f];
    private static readonly float[] G1 = [0.1f, -0.2f, 0.3f, 0.4f];
    private static readonly float[] G2 = [-0.5f, 0.25f, 0.3f, 0f];

    [Fact]
    public void Sgd_matches_the_book_for_two_steps() => AssertTwoSteps(new Sgd(),
        [0.999f, -1.998f, 0.497f, 2.996f],
        [1.004f, -2.0005f, 0.494f, 2.996f]);

    [Fact]
    public void Momentum_matches_the_book_for_two_steps() => AssertTwoSteps(new Momentum(),
        [0.999f, -1.998f, 0.497f, 2.996f],
        [1.0031f, -1.9987f, 0.4913f, 2.9924f]);

    [Fact]
    public void Nesterov_matches_the_book_for_two_steps() => AssertTwoSteps(new Nesterov(),
        [0.99729f, -1.99458f, 0.49187f, 2.98916f],
        [1.010111f, -1.999897f, 0.481553f, 2.986244f]);

    [Fact]
    public void AdaGrad_matches_the_book_for_two_steps() => AssertTwoSteps(new AdaGrad(),
        [0.99000001f, -1.99f, 0.490000003f, 2.99f],
        [0.999805815f, -1.99780869f, 0.482928937f, 2.99f]);

    [Fact]
    public void RmsProp_matches_the_book_for_two_steps() => AssertTwoSteps(new RmsProp(),
        [0.900001f, -1.9000005f, 0.400000333f, 2.90000025f],
        [0.998077738f, -1.97823995f, 0.32911238f, 2.90000025f]);

    [Fact]
    public void Adam_matches_the_book_for_two_steps() => AssertTwoSteps(new Adam(),
        [0.999000032f, -1.99900002f, 0.499000011f, 2.99900001f],
        [0.999598382f, -1.99916275f, 0.498000018f, 2.99832995f]);

    private static void AssertTwoSteps(IOptimizer optimizer, float[] step1, float[] step2)
    {
        var w = new Parameter("W", new Tensor((float[])W0.Clone(), 2, 2));
        G1.CopyTo(w.Grad.Span);
        optimizer.Update([w]);
        AssertClose(step1, w.Value.ToArray(), 1e-6);
        Assert.Equal([2, 2], w.Value.Shape.ToArray());

        G2.CopyTo(w.Grad.Span);
        optimizer.Update([w]);
        AssertClose(step2, w.Value.ToArray(), 1e-6);
    }

    // (b) The book's ch6/optimizer_compare_naive.py: f(x, y) = x²/20 + y², gradient (x/10, 2y), from (-7, 2),
    // 30 updates with x and y as two separate parameters, as in the book's params dict. Expected final points:
    // the book's classes and script run by /usr/bin/python3 (numpy, float64); the book's learning rates for SGD,
    // Momentum, AdaGrad and Adam; 0.1 chosen here for Nesterov and RMSprop. A float32 run of the same script
    // differs from these by at most 1.1e-6, so 1e-4 leaves room only for real formula mistakes.
    [Theory]
    [InlineData("SGD", 0.95, -0.3503929957523197, 0.0847823165504322)]
    [InlineData("Momentum", 0.1, 0.896413858493733, 0.08808560171506971)]
    [InlineData("AdaGrad", 1.5, -0.12016232231416045, 2.486389893984459e-17)]
    [InlineData("Adam", 0.3, 0.13600685239498186, 0.31824537553721943)]
    [InlineData("Nesterov", 0.1, 0.5263905077412623, 0.0002258201570808063)]
    [InlineData("RMSprop", 0.1, -0.6974203096807907, 1.4834621508315574e-08)]
    public void The_books_x2_over_20_plus_y2_experiment_ends_where_numpy_does(string name, double learningRate, double expectedX, double expectedY)
    {
        IOptimizer optimizer = OptimizerFactory.Create(name, learningRate);
        var x = new Parameter("x", Tensor.FromValues(-7f));
        var y = new Parameter("y", Tensor.FromValues(2f));
        Parameter[] parameters = [x, y];
        for (int i = 0; i < 30; i++)
        {
            x.Grad.Span[0] = x.Value.Span[0] / 10f;
            y.Grad.Span[0] = 2f * y.Value.Span[0];
            optimizer.Update(parameters);
        }

        float finalX = x.Value.Span[0], finalY = y.Value.Span[0];
        Assert.InRange(finalX, expectedX - 1e-4, expectedX + 1e-4);
        Assert.InRange(finalY, expectedY - 1e-4, expectedY + 1e-4);
        double startDistance = Math.Sqrt(7 * 7 + 2 * 2);
        Assert.True(Math.Sqrt(finalX * finalX + finalY * finalY) < startDistance,
            $"{name} ended at ({finalX}, {finalY}), no nearer the minimum (0, 0) than the start (-7, 2).");
    }

    // (c) Each parameter keeps its own state: updating two parameters together gives bit for bit what two separate
    // optimizers give on each alone (Adam's shared step count also advances once per call in both cases).
    [Theory]
    [MemberData(nameof(AllNames))]
    public void Parameters_updated_together_keep_separate_state(string name)
    {
        var a = new Parameter("W1", new Tensor([0.5f, -1f, 2f, 0.25f, -0.75f, 1.5f], 2, 3));
        var b = new Parameter("b1", Tensor.FromValues(3f, -4f));
        var aAlone = new Parameter("W1", a.Value.Clone());
        var bAlone = new Parameter("b1", b.Value.Clone());
        IOptimizer together = OptimizerFactory.Create(name, 0.05);
        IOptimizer onlyA = OptimizerFactory.Create(name, 0.05);
        IOptimizer onlyB = OptimizerFactory.Create(name, 0.05);

        for (int step = 0; step < 4; step++)
        {
            // Gradients that differ in scale between the parameters and change every step.
            for (int i = 0; i < a.Grad.Length; i++)
            {
                a.Grad.Span[i] = aAlone.Grad.Span[i] = (step + 1) * 0.1f * (i - 2.5f);
            }

            b.Grad.Span[0] = bAlone.Grad.Span[0] = 5f - step;
            b.Grad.Span[1] = bAlone.Grad.Span[1] = -0.01f * step;
            together.Update([a, b]);
            onlyA.Update([aAlone]);
            onlyB.Update([bAlone]);
        }

        Assert.Equal(aAlone.Value.ToArray(), a.Value.ToArray());
        Assert.Equal(bAlone.Value.ToArray(), b.Value.ToArray());
        Assert.NotEqual(new float[] { 0.5f, -1f, 2f, 0.25f, -0.75f, 1.5f }, a.Value.ToArray());

        ParameterStates? states = States(together);
        if (states is not null)
        {
            Assert.Equal(2, states.Count);
            Assert.True(states.TryGet(a, out Tensor[]? stateA));
            Assert.True(states.TryGet(b, out Tensor[]? stateB));
            Assert.All(stateA, s => Assert.Equal([2, 3], s.Shape.ToArray()));
            Assert.All(stateB, s => Assert.Equal([2], s.Shape.ToArray()));
            Assert.False(states.TryGet(aAlone, out _));
        }
    }

    [Fact]
    public void State_is_created_lazily_and_a_late_parameter_starts_from_zero()
    {
        // Momentum's first step on a fresh velocity is v = -lr * g, so a parameter that joins at the third update
        // moves exactly -lr * g, however many steps the others have taken.
        var momentum = new Momentum(learningRate: 0.5);
        var early = new Parameter("W1", Tensor.FromValues(1f, 1f));
        var late = new Parameter("W2", Tensor.FromValues(1f, 1f));
        Assert.Equal(0, momentum.State.Count);
        early.Grad.Span.Fill(1f);
        late.Grad.Span.Fill(1f);
        momentum.Update([early]);
        momentum.Update([early]);
        Assert.Equal(1, momentum.State.Count);
        Assert.False(momentum.State.TryGet(late, out _));

        momentum.Update([early, late]);
        Assert.Equal(2, momentum.State.Count);
        Assert.Equal(new float[] { 0.5f, 0.5f }, late.Value.ToArray());
        // early: v = -0.5, -0.95, -1.355 → 1 - 2.805.
        AssertClose([-1.805f, -1.805f], early.Value.ToArray(), 1e-6);
    }

    [Theory]
    [MemberData(nameof(AllNames))]
    public void Updates_after_the_first_allocate_nothing(string name)
    {
        IOptimizer optimizer = OptimizerFactory.Create(name, null);
        var w = new Parameter("W1", Tensor.Zeros(64, 50));
        var b = new Parameter("b1", Tensor.Zeros(50));
        w.Grad.Span.Fill(0.25f);
        b.Grad.Span.Fill(-0.5f);
        Parameter[] parameters = [w, b];
        optimizer.Update(parameters);
        optimizer.Update(parameters);

        long allocated = Allocations.OnThisThread(() =>
        {
            for (int i = 0; i < 100; i++)
            {
                optimizer.Update(parameters);
            }
        });

        Assert.Equal(0, allocated);
    }

    // (d) Bad hyperparameters are refused when the optimizer is built, naming the option and the value.
    [Theory]
    [InlineData("sgd", 0.0, "0")]
    [InlineData("momentum", -0.1, "-0.1")]
    [InlineData("nesterov", double.NaN, "NaN")]
    [InlineData("adagrad", double.PositiveInfinity, "Infinity")]
    [InlineData("rmsprop", -1e-9, "-1E-09")]
    [InlineData("adam", double.NegativeInfinity, "-Infinity")]
    public void A_learning_rate_that_is_not_finite_and_positive_is_rejected(string name, double learningRate, string shown)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => OptimizerFactory.Create(name, learningRate));
        Assert.Equal("learningRate", e.ParamName);
        Assert.Contains("learningRate must be finite and greater than 0", e.Message);
        Assert.Contains($"but was {shown}.", e.Message);
    }

    public static TheoryData<string, string, string> BadFractions => new()
    {
        { "momentum 1", "momentum", "1" },
        { "momentum -0.1", "momentum", "-0.1" },
        { "nesterov 1.5", "momentum", "1.5" },
        { "rmsprop 1", "decayRate", "1" },
        { "rmsprop NaN", "decayRate", "NaN" },
        { "adam beta1 1", "beta1", "1" },
        { "adam beta2 -0.5", "beta2", "-0.5" },
        { "adam beta2 Infinity", "beta2", "Infinity" },
    };

    [Theory]
    [MemberData(nameof(BadFractions))]
    public void A_momentum_decay_rate_or_beta_outside_0_to_1_is_rejected(string construction, string option, string shown)
    {
        Action create = construction switch
        {
            "momentum 1" => () => _ = new Momentum(momentum: 1),
            "momentum -0.1" => () => _ = new Momentum(momentum: -0.1),
            "nesterov 1.5" => () => _ = new Nesterov(momentum: 1.5),
            "rmsprop 1" => () => _ = new RmsProp(decayRate: 1),
            "rmsprop NaN" => () => _ = new RmsProp(decayRate: double.NaN),
            "adam beta1 1" => () => _ = new Adam(beta1: 1),
            "adam beta2 -0.5" => () => _ = new Adam(beta2: -0.5),
            "adam beta2 Infinity" => () => _ = new Adam(beta2: double.PositiveInfinity),
            _ => throw new ArgumentException(construction),
        };
        var e = Assert.Throws<ArgumentOutOfRangeException>(create);
        Assert.Equal(option, e.ParamName);
        Assert.StartsWith($"{option} (", e.Message);
        Assert.Contains($"must be in [0, 1), but was {shown}.", e.Message);
    }

    [Fact]
    public void The_ends_of_the_ranges_that_are_allowed_are_accepted()
    {
        Assert.Equal(0, new Momentum(momentum: 0).MomentumCoefficient);
        Assert.Equal(0, new Nesterov(momentum: 0).MomentumCoefficient);
        Assert.Equal(0, new RmsProp(decayRate: 0).DecayRate);
        var adam = new Adam(learningRate: double.Epsilon, beta1: 0, beta2: 0.9999999);
        Assert.Equal(double.Epsilon, adam.LearningRate);
        Assert.Equal(0, adam.Beta1);
        Assert.Equal(0.9999999, adam.Beta2);
    }

    [Theory]
    [MemberData(nameof(AllNames))]
    public void A_null_list_or_entry_is_rejected_before_anything_moves(string name)
    {
        IOptimizer optimizer = OptimizerFactory.Create(name, null);
        var w = new Parameter("W1", Tensor.FromValues(1f, 2f));
        w.Grad.Span.Fill(1f);
        Assert.Throws<ArgumentNullException>(() => optimizer.Update(null!));
        var e = Assert.Throws<ArgumentException>(() => optimizer.Update([w, null!]));
        Assert.Contains("Parameter 1 of 2 is null", e.Message);
        Assert.Equal(new float[] { 1f, 2f }, w.Value.ToArray());
        if (optimizer is Adam adam)
        {
            Assert.Equal(0, adam.Iteration);
        }
    }

    // (e) The factory.
    [Theory]
    [InlineData("sgd", typeof(Sgd), 0.01)]
    [InlineData("SGD", typeof(Sgd), 0.01)]
    [InlineData("Momentum", typeof(Momentum), 0.01)]
    [InlineData("NESTEROV", typeof(Nesterov), 0.01)]
    [InlineData("AdaGrad", typeof(AdaGrad), 0.01)]
    [InlineData("RMSprop", typeof(RmsProp), 0.01)]
    [InlineData("adam", typeof(Adam), 0.001)]
    [InlineData(" Adam ", typeof(Adam), 0.001)]
    public void The_factory_maps_names_to_the_books_optimizers_with_the_books_defaults(string name, Type type, double bookLearningRate)
    {
        IOptimizer byDefault = OptimizerFactory.Create(name, null);
        Assert.IsType(type, byDefault);
        Assert.Equal(bookLearningRate, LearningRate(byDefault));

        IOptimizer chosen = OptimizerFactory.Create(name, 0.123);
        Assert.IsType(type, chosen);
        Assert.Equal(0.123, LearningRate(chosen));
    }

    [Fact]
    public void The_factory_keeps_the_books_other_hyperparameters()
    {
        var momentum = Assert.IsType<Momentum>(OptimizerFactory.Create("momentum", 0.1));
        Assert.Equal(0.9, momentum.MomentumCoefficient);
        var nesterov = Assert.IsType<Nesterov>(OptimizerFactory.Create("nesterov", 0.1));
        Assert.Equal(0.9, nesterov.MomentumCoefficient);
        var rmsProp = Assert.IsType<RmsProp>(OptimizerFactory.Create("rmsprop", 0.1));
        Assert.Equal(0.99, rmsProp.DecayRate);
        var adam = Assert.IsType<Adam>(OptimizerFactory.Create("adam", 0.1));
        Assert.Equal(0.9, adam.Beta1);
        Assert.Equal(0.999, adam.Beta2);
        Assert.Equal(0, adam.Iteration);
    }

    [Theory]
    [InlineData("adadelta")]
    [InlineData("")]
    [InlineData("sgd2")]
    public void The_factory_rejects_an_unknown_name_listing_the_valid_ones(string name)
    {
        var e = Assert.Throws<ArgumentException>(() => OptimizerFactory.Create(name, null));
        Assert.Equal("name", e.ParamName);
        Assert.Contains($"Unknown optimizer '{name}'", e.Message);
        Assert.Contains("Valid names: sgd, momentum, nesterov, adagrad, rmsprop, adam", e.Message);
    }

    [Fact]
    public void The_factory_lists_its_names_and_rejects_null()
    {
        Assert.Equal(["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"], OptimizerFactory.Names);
        Assert.Throws<ArgumentNullException>(() => OptimizerFactory.Create(null!, null));
    }

    public static TheoryData<string> AllNames => new(OptimizerFactory.Names);

    private static double LearningRate(IOptimizer optimizer) => optimizer switch
    {
        Sgd o => o.LearningRate,
        Momentum o => o.LearningRate,
        Nesterov o => o.LearningRate,
        AdaGrad o => o.LearningRate,
        RmsProp o => o.LearningRate,
        Adam o => o.LearningRate,
        _ => throw new ArgumentException($"Unexpected optimizer {optimizer.GetType()}."),
    };

    private static ParameterStates? States(IOptimizer optimizer) => optimizer switch
    {
        Momentum o => o.State,
        Nesterov o => o.State,
        AdaGrad o => o.State,
        RmsProp o => o.State,
        Adam o => o.State,
        _ => null,
    };

    private static void AssertClose(float[] expected, float[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance,
                $"Element {i}: expected {expected[i]:R}, got {actual[i]:R} (tolerance {tolerance}).");
        }
    }
}
