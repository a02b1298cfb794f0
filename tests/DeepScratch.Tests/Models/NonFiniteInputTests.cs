using DeepScratch.Models;
using DeepScratch.Tests.Serialization;
using DeepScratch.Web;

namespace DeepScratch.Tests.Models;

/// <summary>
/// Issue 11 item 5: NaN, ±∞ and huge inputs through every inference path of the library (Predict on a batch and on
/// one input, a compiled session on a batch and on one input, the web server's ServedModel, Evaluation and Accuracy)
/// give the documented result of <see cref="IClassifier.Predict"/> (numpy's IEEE result, row by row; Accuracy counts
/// as np.argmax) or the documented <see cref="InvalidDataException"/>, the same on every path and at every batch size.
/// </summary>
public class NonFiniteInputTests
{
    private const int Pixel = 300;

    /// <summary>Row 0 and 1 clean; then one pixel NaN, +∞, −∞, 1e38, −1e38; then every pixel +∞.</summary>
    private static readonly (string Name, float Value)[] Rows =
        [("clean", 0), ("clean", 0), ("NaN", float.NaN), ("+Inf", float.PositiveInfinity), ("-Inf", float.NegativeInfinity),
         ("1e38", 1e38f), ("-1e38", -1e38f), ("all +Inf", float.PositiveInfinity)];

    private static float[] Inputs(int size)
    {
        var random = new Random(11);
        var x = new float[Rows.Length * size];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)random.NextDouble();
        }

        for (int r = 2; r < Rows.Length; r++)
        {
            if (Rows[r].Name == "all +Inf")
            {
                x.AsSpan(r * size, size).Fill(float.PositiveInfinity);
            }
            else
            {
                x[(r * size) + Pixel] = Rows[r].Value;
            }
        }

        return x;
    }

    [PythonNumpyFact]
    public void The_book_network_gives_numpys_result_on_every_path_and_batch_size()
    {
        var model = ModelFile.Load(TestData.Weights("sample_weight.pkl"));
        float[] x = Inputs(784);
        float[] numpy = NumpyBookPredict(x);

        foreach (var (path, y) in Paths(model, x))
        {
            AssertSameResult(numpy, y, $"{path} against numpy");
        }

        // The hand facts the table in the report states: NaN spoils its whole row, saturated sigmoids keep ±∞ and
        // huge inputs finite, and a row of +∞ (∞·w of both signs summed) is NaN.
        Assert.All(Row(numpy, 2), v => Assert.True(float.IsNaN(v)));
        foreach (int r in new[] { 3, 4, 5, 6 })
        {
            Assert.All(Row(numpy, r), v => Assert.True(float.IsFinite(v)));
        }

        Assert.All(Row(numpy, 7), v => Assert.True(float.IsNaN(v)));
        AssertRefusals(model, x, numpy);
    }

    [PythonNumpyFact]
    public void The_simple_cnn_gives_numpys_result_on_every_path()
    {
        var model = Network("simple-cnn");
        float[] x = Inputs(784);
        float[] numpy = NumpySimpleCnnPredict(x);

        foreach (var (path, y) in Paths(model, x))
        {
            AssertSameResult(numpy, y, $"simple-cnn: {path} against numpy");
        }

        Assert.All(Row(numpy, 2), v => Assert.True(float.IsNaN(v), "a NaN input gives NaN in every class"));
        Assert.All(Row(numpy, 0), v => Assert.True(float.IsFinite(v)));
        AssertRefusals(model, x, numpy);
    }

    public static TheoryData<string> Networks() => ["simple-cnn", "deep-cnn", "two-layer", "multi-layer relu", "multi-layer sigmoid", "extend batchnorm dropout", "half-precision book"];

    [Theory]
    [MemberData(nameof(Networks))]
    public void Every_network_gives_one_result_per_row_on_every_path_and_NaN_spoils_only_its_row(string name)
    {
        var model = Network(name);
        int size = model.InputShape.Aggregate(1, (a, b) => a * b);
        float[] x = Inputs(size);
        // The reference: each row predicted alone, layer by layer; the clean rows also within a clean batch.
        var alone = new float[Rows.Length * model.Classes];
        for (int r = 0; r < Rows.Length; r++)
        {
            model.Predict(new Tensor(x.AsSpan(r * size, size).ToArray(), [.. model.InputShape])).Span.CopyTo(alone.AsSpan(r * model.Classes));
        }

        if (name is "two-layer" or "multi-layer relu")
        {
            // Truth, not only agreement: the book's affine → relu → ... → softmax as a plain loop over the parameters.
            AssertSameResult(ReferenceReluNetwork((LayeredNetwork)model, x), alone, $"{name}: each row alone against the reference loop");
        }

        foreach (var (path, y) in Paths(model, x))
        {
            AssertSameResult(alone, y, $"{name}: {path} against each row alone");
        }

        var clean = model.Predict(new Tensor(x.AsSpan(0, 2 * size).ToArray(), [2, .. model.InputShape])).ToArray();
        AssertSameResult(clean, alone.AsSpan(0, 2 * model.Classes).ToArray(), $"{name}: clean rows in a clean batch", rows: 2);
        Assert.All(Row(alone, 2), v => Assert.True(float.IsNaN(v), $"{name}: a NaN input gives NaN in every class"));
        if (name is "two-layer" or "multi-layer relu")
        {
            // ReLU: pixel 300's weights have both signs, so ±∞ becomes +∞ and 0 in the hidden layer, then ∞·w of both signs = NaN.
            Assert.All(Row(alone, 3).Concat(Row(alone, 4)), v => Assert.True(float.IsNaN(v), name));
        }

        AssertRefusals(model, x, alone);
    }

    /// <summary>Every path on the whole batch: Predict, Predict per input, a session of 8 and a session of 1.</summary>
    private static IEnumerable<(string Path, float[] Y)> Paths(IClassifier model, float[] x)
    {
        int size = x.Length / Rows.Length, classes = model.Classes;
        yield return ("Predict on the batch", model.Predict(new Tensor((float[])x.Clone(), [Rows.Length, .. model.InputShape])).ToArray());
        var single = new float[Rows.Length * classes];
        for (int r = 0; r < Rows.Length; r++)
        {
            model.Predict(new Tensor(x.AsSpan(r * size, size).ToArray(), [1, .. model.InputShape])).Span.CopyTo(single.AsSpan(r * classes));
        }

        yield return ("Predict on batches of 1", single);
        var session = model.CreatePredictor(Rows.Length);
        if (session is not null)
        {
            var y = new float[Rows.Length * classes];
            session.Predict(x, Rows.Length, y);
            yield return ("a session on the batch", y);
            var one = model.CreatePredictor(1)!;
            var y1 = new float[Rows.Length * classes];
            for (int r = 0; r < Rows.Length; r++)
            {
                one.Predict(x.AsSpan(r * size, size), 1, y1.AsSpan(r * classes, classes));
            }

            yield return ("a session of 1", y1);
        }

        // The web server's path: probabilities for finite rows; the documented refusal for the others (checked below).
        var served = new ServedModel("m", "m.pkl", model);
        var web = new float[Rows.Length * classes];
        for (int r = 0; r < Rows.Length; r++)
        {
            try
            {
                served.Predict(x.AsSpan(r * size, size).ToArray()).CopyTo(web.AsSpan(r * classes));
            }
            catch (InvalidDataException)
            {
                web.AsSpan(r * classes, classes).Fill(float.NaN);
            }
        }

        yield return ("ServedModel (a refusal read as NaN)", web);
    }

    /// <summary>Evaluation, Accuracy and ServedModel refuse exactly the rows whose result is not finite, naming the first.</summary>
    private static void AssertRefusals(IClassifier model, float[] x, float[] expected)
    {
        int size = x.Length / Rows.Length, classes = model.Classes;
        int firstBad = Enumerable.Range(0, Rows.Length).First(r => !Row(expected, r).All(float.IsFinite));
        var tensor = new Tensor((float[])x.Clone(), [Rows.Length, .. model.InputShape]);
        foreach (int batch in new[] { 1, 3, Rows.Length })
        {
            var e = Assert.Throws<InvalidDataException>(() => Evaluation.Evaluate(model, tensor, new byte[Rows.Length], batch));
            Assert.StartsWith($"the network's outputs are not finite (NaN) for example {firstBad}: ", e.Message);
            if (model is LayeredNetwork network)
            {
                // The book's accuracy counts as np.argmax does: the first NaN if any, else the first maximum.
                int[] argmax = NumpyArgMax(network.Forward(tensor, train: false).ToArray(), classes);
                var right = new Tensor(argmax.Select(c => (float)c).ToArray(), Rows.Length);
                var wrong = new Tensor(argmax.Select(c => (float)((c + 1) % classes)).ToArray(), Rows.Length);
                Assert.Equal(1.0, network.Accuracy(tensor, right, batch));
                Assert.Equal(0.0, network.Accuracy(tensor, wrong, batch));
                Assert.Equal(0, argmax[2]); // the NaN row: a row of NaN is class 0
            }
        }

        var served = new ServedModel("m", "m.pkl", model);
        for (int r = 0; r < Rows.Length; r++)
        {
            float[] row = x.AsSpan(r * size, size).ToArray();
            if (Row(expected, r).All(float.IsFinite))
            {
                Assert.Equal(classes, served.Predict(row).Length);
            }
            else
            {
                var e = Assert.Throws<InvalidDataException>(() => served.Predict(row));
                Assert.Contains("are its inputs finite?", e.Message);
            }
        }
    }

    /// <summary>numpy's argmax per row: the index of the first NaN if there is one, else of the first maximum.</summary>
    private static int[] NumpyArgMax(float[] scores, int classes)
    {
        var result = new int[scores.Length / classes];
        for (int r = 0; r < result.Length; r++)
        {
            int best = 0;
            for (int c = 0; c < classes; c++)
            {
                float v = scores[(r * classes) + c];
                if (float.IsNaN(v))
                {
                    best = c;
                    break;
                }

                best = v > scores[(r * classes) + best] ? c : best;
            }

            result[r] = best;
        }

        return result;
    }

    /// <summary>Row <paramref name="r"/> of the results of all <see cref="Rows"/> (its class count follows from the length).</summary>
    private static float[] Row(float[] y, int r)
    {
        int classes = y.Length / Rows.Length;
        return y.AsSpan(r * classes, classes).ToArray();
    }

    /// <summary>
    /// NaN where the reference has NaN, the same infinity, else within 1e-5 (absolute) of it; the results are
    /// <paramref name="rows"/> rows (the first of <see cref="Rows"/>, all 8 unless said).
    /// </summary>
    private static void AssertSameResult(float[] expected, float[] actual, string what, int rows = 8)
    {
        Assert.Equal(expected.Length, actual.Length);
        int classes = expected.Length / rows;
        for (int i = 0; i < expected.Length; i++)
        {
            float e = expected[i], a = actual[i];
            bool same = float.IsNaN(e) ? float.IsNaN(a) : float.IsInfinity(e) ? e == a : float.IsFinite(a) && Math.Abs(e - a) <= 1e-5f;
            Assert.True(same, $"{what}: row {i / classes} ({Rows[i / classes].Name}) class {i % classes}: {a} instead of {e}");
        }
    }

    private static IClassifier Network(string name) => name switch
    {
        "simple-cnn" => ModelFile.Load(TestData.Weights("params.pkl")),
        "deep-cnn" => ModelFile.Load(TestData.Weights("deep_convnet_params.pkl")),
        "two-layer" => new TwoLayerNet(784, 50, 10, seed: 1),
        "multi-layer relu" => new MultiLayerNet(784, [100, 100], 10, "relu", seed: 1),
        "multi-layer sigmoid" => new MultiLayerNet(784, [100, 100], 10, "sigmoid", seed: 1),
        "extend batchnorm dropout" => new MultiLayerNetExtend(784, [100, 100], 10, useDropout: true, useBatchnorm: true, seed: 1),
        "half-precision book" => HalfPrecision.ToHalfWeights(ModelFile.Load(TestData.Weights("sample_weight.pkl"))),
        _ => throw new ArgumentException(name),
    };

    /// <summary>
    /// The book's fully connected ReLU network, row by row in float32 from the network's parameters W1, b1, W2, ...:
    /// affine, relu as the book's mask (x &lt;= 0 → 0, so NaN stays NaN), and softmax with the row's maximum subtracted.
    /// </summary>
    private static float[] ReferenceReluNetwork(LayeredNetwork network, float[] x)
    {
        var p = network.Parameters.ToDictionary(q => q.Name, q => q.Value);
        int layers = Enumerable.Range(1, 10).TakeWhile(i => p.ContainsKey($"W{i}")).Count();
        var result = new List<float>();
        int size = x.Length / Rows.Length;
        for (int r = 0; r < Rows.Length; r++)
        {
            float[] a = x.AsSpan(r * size, size).ToArray();
            for (int l = 1; l <= layers; l++)
            {
                var w = p[$"W{l}"];
                float[] weights = w.ToArray(), bias = p[$"b{l}"].ToArray();
                int inputs = w.Shape[0], outputs = w.Shape[1];
                var z = new float[outputs];
                for (int j = 0; j < outputs; j++)
                {
                    float sum = 0;
                    for (int i = 0; i < inputs; i++)
                    {
                        sum += a[i] * weights[(i * outputs) + j];
                    }

                    z[j] = sum + bias[j];
                    if (l < layers && z[j] <= 0)
                    {
                        z[j] = 0;
                    }
                }

                a = z;
            }

            float max = a.Max();
            if (a.Any(float.IsNaN))
            {
                max = float.NaN;
            }

            var e = a.Select(v => MathF.Exp(v - max)).ToArray();
            float total = e.Sum();
            result.AddRange(e.Select(v => v / total));
        }

        return result.ToArray();
    }

    /// <summary>
    /// The book's SimpleConvNet (ch07, params.pkl) in numpy float32: convolution 30×5×5, relu, 2×2 max pooling, affine,
    /// relu, affine, softmax; relu and pooling as the book's (a mask, np.max), which keep NaN.
    /// </summary>
    private static float[] NumpySimpleCnnPredict(float[] x) => RunNumpy(x, TestData.Weights("params.pkl"), """
        import pickle, sys, numpy as np
        np.seterr(all='ignore')
        with open(sys.argv[1], 'rb') as f:
            n = {k: np.asarray(v, dtype=np.float32) for k, v in pickle.load(f).items()}
        x = np.fromfile(sys.argv[2], dtype=np.float32).reshape(-1, 1, 28, 28)
        def relu(a):
            a = a.copy(); a[a <= 0] = 0; return a
        win = np.lib.stride_tricks.sliding_window_view(x, (5, 5), axis=(2, 3))   # N,1,24,24,5,5
        conv = np.einsum('ncijkl,fckl->nfij', win, n['W1']) + n['b1'][None, :, None, None]
        c = relu(conv.astype(np.float32))
        N, F, H, W = c.shape
        pool = c.reshape(N, F, H // 2, 2, W // 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(N, F, H // 2, W // 2, 4).max(axis=4)
        h = relu(pool.reshape(N, -1) @ n['W2'] + n['b2'])
        a = h @ n['W3'] + n['b3']
        a = a - np.max(a, axis=1, keepdims=True)
        y = np.exp(a) / np.sum(np.exp(a), axis=1, keepdims=True)
        y.astype(np.float32).tofile(sys.argv[3])
        """);

    /// <summary>The book's ch03 predict in numpy float32 (sigmoid 1/(1+exp(-x)), softmax with the max subtracted).</summary>
    private static float[] NumpyBookPredict(float[] x) => RunNumpy(x, TestData.Weights("sample_weight.pkl"), """
                import pickle, sys, numpy as np
                np.seterr(all='ignore')
                with open(sys.argv[1], 'rb') as f:
                    n = pickle.load(f)
                x = np.fromfile(sys.argv[2], dtype=np.float32).reshape(-1, 784)
                sigmoid = lambda a: 1 / (1 + np.exp(-a))
                z1 = sigmoid(np.dot(x, n['W1']) + n['b1'])
                z2 = sigmoid(np.dot(z1, n['W2']) + n['b2'])
                a3 = (np.dot(z2, n['W3']) + n['b3']).T
                a3 = a3 - np.max(a3, axis=0)
                y = (np.exp(a3) / np.sum(np.exp(a3), axis=0)).T
                y.astype(np.float32).tofile(sys.argv[3])
                """);

    /// <summary>Runs <paramref name="script"/> (WEIGHTS, the inputs as float32, the output file) and reads its float32 output.</summary>
    private static float[] RunNumpy(float[] x, string weights, string script)
    {
        string folder = Directory.CreateTempSubdirectory("deepscratch-nonfinite-").FullName;
        try
        {
            string input = Path.Combine(folder, "x.f32"), output = Path.Combine(folder, "y.f32");
            File.WriteAllBytes(input, System.Runtime.InteropServices.MemoryMarshal.AsBytes(x.AsSpan()).ToArray());
            var r = ChildProcess.Run(PythonNumpyFactAttribute.Python, ["-c", script, weights, input, output], folder,
                new Dictionary<string, string?>(), TimeSpan.FromMinutes(2));
            Assert.True(r.ExitCode == 0, r.Output);
            return System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(output)).ToArray();
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
