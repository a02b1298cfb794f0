using DeepScratch.Serialization;
using DeepScratch.Tests.Serialization;

namespace DeepScratch.Tests.Models;

/// <summary>
/// Weight files the tests damage on purpose: the real sample_weight.pkl's arrays, edited, written back as a numpy pickle
/// (the opcodes numpy writes, via <see cref="PickleBuilder"/>) or as safetensors.
/// </summary>
internal static class WeightFiles
{
    /// <summary>One array: its shape and row-major float32 values.</summary>
    internal sealed record Array(int[] Shape, float[] Values)
    {
        public Array Reshaped(params int[] shape) => new(shape, Values);

        /// <summary>The matrix transposed, as PyTorch's nn.Linear stores (outputs, inputs).</summary>
        public Array Transposed()
        {
            int rows = Shape[0], cols = Shape[1];
            var t = new float[Values.Length];
            for (int i = 0; i < rows; i++)
            {
                for (int j = 0; j < cols; j++)
                {
                    t[j * rows + i] = Values[i * cols + j];
                }
            }

            return new Array([cols, rows], t);
        }
    }

    /// <summary>The book's sample_weight.pkl as editable arrays, in file order.</summary>
    public static Dictionary<string, Array> Sample() =>
        NumpyPickle.Load(TestData.Weights("sample_weight.pkl"))
            .ToDictionary(a => a.Name, a => new Array(a.Shape, a.Tensor.ToArray()));

    /// <summary>A protocol-2 pickle of a dict name → float32 ndarray, as numpy's pickle.dump writes it.</summary>
    public static byte[] Pickle(IReadOnlyDictionary<string, Array> arrays)
    {
        var b = new PickleBuilder().Proto(2).Op(PickleOpcode.EMPTY_DICT).Mark();
        foreach (var (name, array) in arrays)
        {
            b.Str(name).NdArray(array.Shape, "f4", PickleBuilder.Float32Bytes(array.Values));
        }

        return b.Op(PickleOpcode.SETITEMS).Stop().ToArray();
    }

    public static string WritePickle(string folder, string name, IReadOnlyDictionary<string, Array> arrays)
    {
        string path = Path.Combine(folder, name);
        File.WriteAllBytes(path, Pickle(arrays));
        return path;
    }

    public static string WriteSafeTensors(string folder, string name, IReadOnlyDictionary<string, Array> arrays, IReadOnlyDictionary<string, string>? metadata)
    {
        string path = Path.Combine(folder, name);
        SafeTensors.Save(path, arrays.Select(a => KeyValuePair.Create(a.Key, Tensor.FromStored((float[])a.Value.Values.Clone(), a.Value.Shape))), metadata);
        return path;
    }

    /// <summary>A random (rows, cols) array of small values, or zeros.</summary>
    public static Array Random(Random random, params int[] shape)
    {
        int length = shape.Aggregate(1, (p, d) => p * d);
        return new Array(shape, Enumerable.Range(0, length).Select(_ => (float)(random.NextDouble() * 0.2 - 0.1)).ToArray());
    }
}
