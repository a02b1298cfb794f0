using DeepScratch.Data;
using Microsoft.ML.OnnxRuntime;

namespace DeepScratch.Bench;

/// <summary>One implementation of a network's inference over the MNIST test set, timed by <see cref="Report"/>.</summary>
internal interface IInference : IDisposable
{
    /// <summary>The implementation's name in the JSON rows (DeepScratch, OnnxRuntime, ...).</summary>
    string Implementation { get; }

    /// <summary>Threads it computes with.</summary>
    int Threads { get; }

    /// <summary>
    /// Everything a pass over all test images at <paramref name="batch"/> images per call needs, set up outside the
    /// timed region; the returned pass writes 10 scores per image (probabilities or logits) into its argument.
    /// </summary>
    IInferencePass Prepare(MnistSet set, int batch);
}

/// <summary>A prepared pass over the test set at one batch size.</summary>
internal interface IInferencePass : IDisposable
{
    /// <summary>Runs every test image once; <paramref name="scores"/> gets 10 values per image.</summary>
    void Run(float[] scores);
}

/// <summary>Predicts <paramref name="count"/> images of raw 0-255 pixels into 10 scores each.</summary>
internal delegate void PixelPredict(ReadOnlySpan<byte> pixels, int count, Span<float> scores);

/// <summary>
/// DeepScratch: any network whose predictor takes raw pixels (it scales by 1/255 itself, inside the timed region).
/// <paramref name="createPredictor"/> makes a predictor for a maximum batch size, e.g.
/// <c>b =&gt; network.CreatePredictor(b).PredictPixels</c>.
/// </summary>
internal sealed class DeepScratchInference(Func<int, PixelPredict> createPredictor) : IInference
{
    public string Implementation => "DeepScratch";

    public int Threads => Environment.ProcessorCount;

    public IInferencePass Prepare(MnistSet set, int batch) => new Pass(set, batch, createPredictor(batch));

    public void Dispose()
    {
    }

    private sealed class Pass(MnistSet set, int batch, PixelPredict predict) : IInferencePass
    {
        public void Run(float[] scores)
        {
            byte[] pixels = set.Images.Pixels;
            int size = set.Images.ImageSize;
            for (int start = 0; start < set.Count; start += batch)
            {
                int count = Math.Min(batch, set.Count - start);
                predict(pixels.AsSpan(start * size, count * size), count, scores.AsSpan(start * 10, count * 10));
            }
        }

        public void Dispose()
        {
        }
    }
}

/// <summary>
/// ONNX Runtime (ORT_ENABLE_ALL, 2 intra-op threads, 1 inter-op, sequential) on a reference export whose input is
/// pixels scaled to [0, 1] with shape (n, <paramref name="imageShape"/>...) and whose output is (n, 10) logits.
/// Pixels are scaled to float once, outside the timed region, and every batch's input and output tensor wraps the
/// shared arrays, so a timed pass is only the session's Run calls.
/// </summary>
internal sealed class OrtInference : IInference
{
    public const int IntraOpThreads = 2;
    private readonly InferenceSession _session;
    private readonly long[] _imageShape;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private float[]? _input;

    public OrtInference(string modelPath, params long[] imageShape)
    {
        using var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = IntraOpThreads,
            InterOpNumThreads = 1,
        };
        _session = new InferenceSession(modelPath, options);
        _imageShape = imageShape;
        _inputNames = [_session.InputNames[0]];
        _outputNames = [_session.OutputNames[0]];
    }

    public string Implementation => "OnnxRuntime";

    public int Threads => IntraOpThreads;

    public IInferencePass Prepare(MnistSet set, int batch)
    {
        int size = set.Images.ImageSize;
        if (_input is null || _input.Length != set.Count * size)
        {
            _input = new float[set.Count * size];
            for (int i = 0; i < _input.Length; i++)
            {
                _input[i] = set.Images.Pixels[i] / 255f; // the exports' input: pixels scaled to [0, 1], as numpy does
            }
        }

        return new Pass(this, set.Count, size, batch);
    }

    public void Dispose() => _session.Dispose();

    private sealed class Pass : IInferencePass
    {
        private readonly OrtInference _owner;
        private readonly List<(int Start, int Count)> _chunks = [];
        private readonly Dictionary<float[], (OrtValue[][] Inputs, OrtValue[][] Outputs)> _values = [];
        private readonly int _size;
        private readonly RunOptions _runOptions = new();

        public Pass(OrtInference owner, int images, int size, int batch)
        {
            _owner = owner;
            _size = size;
            for (int start = 0; start < images; start += batch)
            {
                _chunks.Add((start, Math.Min(batch, images - start)));
            }
        }

        public void Run(float[] scores)
        {
            if (!_values.TryGetValue(scores, out var values))
            {
                values = Bind(scores); // once per output array: the timed passes reuse the bound tensors
                _values[scores] = values;
            }

            for (int i = 0; i < _chunks.Count; i++)
            {
                _owner._session.Run(_runOptions, _owner._inputNames, values.Inputs[i], _owner._outputNames, values.Outputs[i]);
            }
        }

        public void Dispose()
        {
            foreach (var (inputs, outputs) in _values.Values)
            {
                foreach (var v in inputs.Concat(outputs).SelectMany(one => one))
                {
                    v.Dispose();
                }
            }

            _runOptions.Dispose();
        }

        // One single-element array per chunk, so that the timed Run calls allocate no argument lists.
        private (OrtValue[][] Inputs, OrtValue[][] Outputs) Bind(float[] scores)
        {
            var inputs = new OrtValue[_chunks.Count][];
            var outputs = new OrtValue[_chunks.Count][];
            for (int i = 0; i < _chunks.Count; i++)
            {
                var (start, count) = _chunks[i];
                long[] shape = [count, .. _owner._imageShape];
                inputs[i] = [OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _owner._input!.AsMemory(start * _size, count * _size), shape)];
                outputs[i] = [OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, scores.AsMemory(start * 10, count * 10), [count, 10L])];
            }

            return (inputs, outputs);
        }
    }
}
