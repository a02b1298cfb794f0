using System.Runtime.InteropServices;
using DeepScratch.Layers;
using DeepScratch.Models;

namespace DeepScratch.Serialization.Onnx;

/// <summary>
/// Writes a DeepScratch network as an ONNX model (opset <see cref="Opset"/>, IR version <see cref="IrVersion"/>) that
/// gives the same class probabilities as <see cref="IClassifier.Predict"/>: one float32 input named
/// <see cref="InputName"/> shaped (N, <see cref="IClassifier.InputShape"/>) — (N, 784) for the MLPs, (N, 1, 28, 28) for
/// the CNNs, pixels scaled to [0, 1] as for Predict — and one output <see cref="OutputName"/> (N, classes), softmax
/// included. N is the dynamic batch axis (dim_param "N").
/// </summary>
/// <remarks>
/// Layers map as: Affine → Flatten (when the input has more than one axis per example, as the book's reshape) + Gemm;
/// Convolution → Conv; Pooling → MaxPool (after a zero Pad when pad &gt; 0, since the book's im2col counts padding
/// as 0 in the maximum); Relu, Sigmoid → Relu, Sigmoid; Dropout → Mul by (1 − ratio), the book's inference form;
/// BatchNorm → Mul by γ/√(running var + ε) and Add β − running mean·that scale (its inference form folded, per feature
/// of the flattened example as the book normalises); then Softmax on axis 1. The encoding is the ONNX schema's
/// (onnx.proto, field numbers as in ONNX 1.12) written by <see cref="ProtoWriter"/>.
/// </remarks>
public static class OnnxExport
{
    /// <summary>The ONNX operator set the model imports.</summary>
    public const int Opset = 13;

    /// <summary>The ONNX IR version written (7 is the one that goes with opset 13).</summary>
    public const long IrVersion = 7;

    /// <summary>The name of the model's input.</summary>
    public const string InputName = "input";

    /// <summary>The name of the model's output, the softmax probabilities.</summary>
    public const string OutputName = "probabilities";

    /// <summary>The name of the dynamic batch axis.</summary>
    public const string BatchAxis = "N";

    private const int FloatType = 1;
    private const int Int64Type = 7;

    /// <summary>
    /// The ONNX model of <paramref name="model"/> (its current weights) written atomically to <paramref name="path"/>:
    /// on failure an existing file is left as it was.
    /// </summary>
    /// <exception cref="NotSupportedException">The network has a layer with no ONNX form here.</exception>
    /// <exception cref="IOException">The file cannot be written there.</exception>
    public static void Save(IClassifier model, string path)
    {
        var encoded = Encode(model);
        AtomicFile.Write(path, encoded.WriteTo);
    }

    /// <summary>The ONNX ModelProto of <paramref name="model"/> as bytes.</summary>
    /// <exception cref="NotSupportedException">The network has a layer with no ONNX form here.</exception>
    public static byte[] ToBytes(IClassifier model) => Encode(model).ToArray();

    private static ProtoWriter Encode(IClassifier model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var graph = new GraphBuilder(model.InputShape);
        switch (model)
        {
            case ThreeLayerNet net:
                graph.Affine("W1", net.W1, "b1", net.B1);
                graph.Unary("Sigmoid");
                graph.Affine("W2", net.W2, "b2", net.B2);
                graph.Unary("Sigmoid");
                graph.Affine("W3", net.W3, "b3", net.B3);
                break;
            case LayeredNetwork net:
                foreach (var layer in net.Layers)
                {
                    graph.Add(layer);
                }

                break;
            default:
                throw new NotSupportedException($"ONNX export does not know the network {model.GetType().Name} ({model.Description}).");
        }

        var proto = new ProtoWriter()
            .Int64(1, IrVersion)
            .String(2, "DeepScratch")
            .String(3, typeof(OnnxExport).Assembly.GetName().Version?.ToString() ?? "0")
            .String(6, model.Description)
            .Message(7, graph.Finish(model.Classes, model.Description))
            .Message(8, new ProtoWriter().String(1, "").Int64(2, Opset));
        return proto;
    }

    /// <summary>The nodes and initializers of one graph, with the per-example shape of the value flowing through.</summary>
    private sealed class GraphBuilder(IReadOnlyList<int> inputShape)
    {
        private readonly List<ProtoWriter> _nodes = [];
        private readonly List<ProtoWriter> _initializers = [];
        private readonly HashSet<string> _names = [InputName, OutputName];
        private readonly int[] _inputShape = inputShape.ToArray();
        private int[] _shape = inputShape.ToArray();
        private string _current = InputName;

        public void Add(ILayer layer)
        {
            switch (layer)
            {
                case Affine a:
                    Affine(a.W.Name, a.W.Value, a.B.Name, a.B.Value);
                    break;
                case Convolution c:
                    Conv(c);
                    break;
                case Pooling p:
                    MaxPool(p);
                    break;
                case DeepScratch.Layers.Relu:
                    Unary("Relu");
                    break;
                case DeepScratch.Layers.Sigmoid:
                    Unary("Sigmoid");
                    break;
                case Dropout d:
                    Binary("Mul", Constant("dropout_scale", [(float)(1 - d.Ratio)], []));
                    break;
                case BatchNormalization bn:
                    BatchNorm(bn);
                    break;
                default:
                    throw new NotSupportedException($"ONNX export does not know the layer {layer.GetType().Name}.");
            }
        }

        public void Affine(string wName, Tensor w, string bName, Tensor b)
        {
            if (_shape.Length != 1)
            {
                Node("Flatten", [_current], [Attribute.Int("axis", 1)]);
                _shape = [Product(_shape)];
            }

            string wInit = Initializer(wName, w.ToArray(), [w.Dim(0), w.Dim(1)]);
            string bInit = Initializer(bName, b.ToArray(), [b.Length]);
            Node("Gemm", [_current, wInit, bInit], []);
            _shape = [w.Dim(1)];
        }

        public void Unary(string op) => Node(op, [_current], []);

        public ProtoWriter Finish(int classes, string description)
        {
            if (_shape.Length != 1)
            {
                throw new NotSupportedException($"ONNX export needs a network whose last layer gives one score per class; this one gives ({string.Join(", ", _shape)}) per example.");
            }

            Node("Softmax", [_current], [Attribute.Int("axis", 1)], output: OutputName);
            var graph = new ProtoWriter();
            foreach (var node in _nodes)
            {
                graph.Message(1, node);
            }

            graph.String(2, "deepscratch");
            foreach (var init in _initializers)
            {
                graph.Message(5, init);
            }

            graph.String(10, description);
            graph.Message(11, ValueInfo(InputName, _inputShape));
            graph.Message(12, ValueInfo(OutputName, [classes]));
            return graph;
        }

        private void Conv(Convolution c)
        {
            var w = c.W.Value;
            string wInit = Initializer(c.W.Name, w.ToArray(), [w.Dim(0), w.Dim(1), w.Dim(2), w.Dim(3)]);
            string bInit = Initializer(c.B.Name, c.B.Value.ToArray(), [c.B.Value.Length]);
            Node("Conv", [_current, wInit, bInit],
            [
                Attribute.Ints("kernel_shape", [w.Dim(2), w.Dim(3)]),
                Attribute.Ints("strides", [c.Stride, c.Stride]),
                Attribute.Ints("pads", [c.Pad, c.Pad, c.Pad, c.Pad]),
            ]);
            _shape = [w.Dim(0), (_shape[1] + 2 * c.Pad - w.Dim(2)) / c.Stride + 1, (_shape[2] + 2 * c.Pad - w.Dim(3)) / c.Stride + 1];
        }

        private void MaxPool(Pooling p)
        {
            if (p.Pad > 0)
            {
                // ONNX MaxPool pads with −∞; the book's im2col pads with 0, which takes part in the maximum.
                var pads = new ProtoWriter().Int64(1, 8).Int64(2, Int64Type).String(8, Unique("pool_pads"));
                byte[] raw = MemoryMarshal.AsBytes<long>([0, 0, p.Pad, p.Pad, 0, 0, p.Pad, p.Pad]).ToArray();
                pads.Bytes(9, raw);
                _initializers.Add(pads);
                Node("Pad", [_current, LastInitializerName], []);
            }

            Node("MaxPool", [_current],
            [
                Attribute.Ints("kernel_shape", [p.PoolH, p.PoolW]),
                Attribute.Ints("strides", [p.Stride, p.Stride]),
            ]);
            _shape = [_shape[0], (_shape[1] + 2 * p.Pad - p.PoolH) / p.Stride + 1, (_shape[2] + 2 * p.Pad - p.PoolW) / p.Stride + 1];
        }

        private void BatchNorm(BatchNormalization bn)
        {
            // The inference form folded in double, as the library's own folding: y = x·s + (β − μ·s), s = γ/√(σ² + ε).
            var gamma = bn.Gamma.Value.Span;
            var beta = bn.Beta.Value.Span;
            var mean = bn.RunningMean.Span;
            var variance = bn.RunningVar.Span;
            var scale = new float[gamma.Length];
            var shift = new float[gamma.Length];
            for (int i = 0; i < scale.Length; i++)
            {
                double s = gamma[i] / Math.Sqrt(variance[i] + bn.Epsilon);
                scale[i] = (float)s;
                shift[i] = (float)(beta[i] - mean[i] * s);
            }

            // The book normalises each value of the flattened example, so the constants take the example's shape.
            Binary("Mul", Constant(bn.Gamma.Name + "_scale", scale, _shape));
            Binary("Add", Constant(bn.Beta.Name + "_shift", shift, _shape));
        }

        private string LastInitializerName { get; set; } = "";

        private void Binary(string op, string constant) => Node(op, [_current, constant], []);

        private string Constant(string name, float[] values, int[] dims) => Initializer(name, values, dims);

        private string Initializer(string name, float[] values, int[] dims)
        {
            string unique = Unique(name);
            var tensor = new ProtoWriter();
            foreach (int d in dims)
            {
                tensor.Int64(1, d);
            }

            tensor.Int64(2, FloatType).String(8, unique);
            // raw_data holds the values little-endian, as ONNX requires on every platform.
            var raw = new byte[values.Length * sizeof(float)];
            for (int i = 0; i < values.Length; i++)
            {
                System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(raw.AsSpan(i * sizeof(float)), values[i]);
            }

            tensor.Bytes(9, raw);
            _initializers.Add(tensor);
            return unique;
        }

        private string Unique(string name)
        {
            string unique = name;
            for (int i = 1; !_names.Add(unique); i++)
            {
                unique = $"{name}_{i}";
            }

            LastInitializerName = unique;
            return unique;
        }

        private void Node(string op, string[] inputs, ProtoWriter[] attributes, string? output = null)
        {
            output ??= Unique($"{op.ToLowerInvariant()}{_nodes.Count}");
            var node = new ProtoWriter();
            foreach (string input in inputs)
            {
                node.String(1, input);
            }

            node.String(2, output).String(3, $"{op}_{_nodes.Count}").String(4, op);
            foreach (var attribute in attributes)
            {
                node.Message(5, attribute);
            }

            _nodes.Add(node);
            _current = output;
        }

        private static ProtoWriter ValueInfo(string name, IReadOnlyList<int> exampleShape)
        {
            var shape = new ProtoWriter().Message(1, new ProtoWriter().String(2, BatchAxis));
            foreach (int d in exampleShape)
            {
                shape.Message(1, new ProtoWriter().Int64(1, d));
            }

            var tensorType = new ProtoWriter().Int64(1, FloatType).Message(2, shape);
            return new ProtoWriter().String(1, name).Message(2, new ProtoWriter().Message(1, tensorType));
        }

        private static int Product(int[] shape)
        {
            int p = 1;
            foreach (int d in shape)
            {
                p *= d;
            }

            return p;
        }
    }

    /// <summary>AttributeProto messages (name = 1, i = 3, ints = 8, type = 20: INT = 2, INTS = 7).</summary>
    private static class Attribute
    {
        public static ProtoWriter Int(string name, long value) => new ProtoWriter().String(1, name).Int64(3, value).Int64(20, 2);

        public static ProtoWriter Ints(string name, long[] values)
        {
            var attribute = new ProtoWriter().String(1, name);
            foreach (long v in values)
            {
                attribute.Int64(8, v);
            }

            return attribute.Int64(20, 7);
        }
    }
}
