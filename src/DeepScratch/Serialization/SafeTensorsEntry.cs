namespace DeepScratch.Serialization;

/// <summary>One tensor as the header describes it: its element type, shape and bytes within the data buffer.</summary>
/// <param name="Name">The tensor's name (the header's key).</param>
/// <param name="DType">How its elements are stored.</param>
/// <param name="Shape">Its dimensions; empty for a scalar.</param>
/// <param name="ElementCount">The product of <paramref name="Shape"/>, checked to fit in one array.</param>
/// <param name="Begin">Offset of its first byte in the data buffer.</param>
/// <param name="End">Offset just past its last byte in the data buffer.</param>
internal sealed record SafeTensorsEntry(string Name, SafeTensorsDType DType, int[] Shape, int ElementCount, long Begin, long End);
