namespace DeepScratch.Tensors;

/// <summary>Permutation of axes (numpy's <c>x.transpose(axes)</c>), as chapter 7 moves images between (N, C, H, W) and (N, H, W, C).</summary>
public sealed partial class Tensor
{
    /// <summary>
    /// A new row-major tensor whose axis i is this tensor's axis <c>axes[i]</c> (numpy's <c>x.transpose(0, 3, 1, 2)</c>,
    /// which turns (N, H, W, C) into (N, C, H, W)); unlike numpy's view, the elements are copied, because every
    /// consumer here (the GEMM, the layers) reads contiguous storage.
    /// </summary>
    /// <param name="axes">A permutation of 0..Rank-1; negative axes count from the end.</param>
    /// <returns>A tensor of shape (shape[axes[0]], shape[axes[1]], ...) with its own storage.</returns>
    /// <exception cref="ArgumentException"><paramref name="axes"/> does not name every axis exactly once.</exception>
    public Tensor Transpose(params int[] axes)
    {
        ArgumentNullException.ThrowIfNull(axes);
        int rank = _shape.Length;
        if (axes.Length != rank)
        {
            throw new ArgumentException(
                $"A tensor of shape {ShapeString} needs {rank} axes to transpose, not {axes.Length} ({FormatShape(axes)}).", nameof(axes));
        }

        var perm = new int[rank];
        var seen = new bool[rank];
        for (int i = 0; i < rank; i++)
        {
            int axis = axes[i] < 0 ? axes[i] + rank : axes[i];
            if ((uint)axis >= (uint)rank || seen[axis])
            {
                throw new ArgumentException(
                    $"Axes {FormatShape(axes)} are not a permutation of the {rank} axes of a tensor of shape {ShapeString}.", nameof(axes));
            }

            seen[axis] = true;
            perm[i] = axis;
        }

        var outShape = new int[rank];
        var sourceStrides = new int[rank]; // stride in the source of each output axis
        int stride = 1;
        var strides = new int[rank];
        for (int d = rank - 1; d >= 0; d--)
        {
            strides[d] = stride;
            stride *= _shape[d];
        }

        for (int i = 0; i < rank; i++)
        {
            outShape[i] = _shape[perm[i]];
            sourceStrides[i] = strides[perm[i]];
        }

        var result = Zeros(outShape);
        int length = result.Length;
        if (length == 0 || rank == 0)
        {
            Span.CopyTo(result.Span);
            return result;
        }

        // An odometer over the output's outer axes; the innermost axis is a strided gather (a plain copy when it is
        // also the source's last axis).
        ReadOnlySpan<float> source = Span;
        Span<float> target = result.Span;
        int inner = outShape[rank - 1];
        int innerStride = sourceStrides[rank - 1];
        var index = new int[rank];
        int sourceBase = 0;
        for (int start = 0; start < length; start += inner)
        {
            if (innerStride == 1)
            {
                source.Slice(sourceBase, inner).CopyTo(target.Slice(start, inner));
            }
            else
            {
                for (int j = 0, s = sourceBase; j < inner; j++, s += innerStride)
                {
                    target[start + j] = source[s];
                }
            }

            for (int d = rank - 2; d >= 0; d--)
            {
                sourceBase += sourceStrides[d];
                if (++index[d] < outShape[d])
                {
                    break;
                }

                sourceBase -= sourceStrides[d] * outShape[d];
                index[d] = 0;
            }
        }

        return result;
    }
}
