using DeepScratch.Functions;
using DeepScratch.Kernels;

namespace DeepScratch.Tests.Kernels;

/// <summary>
/// The implicit im2col A operand (<see cref="SourceKind.ImagePatches"/>, <see cref="SourceKind.ImagePatchBytes"/>):
/// every row block it writes from channels-last images holds exactly the values of <see cref="ImageColumns.Im2Col"/>
/// (itself checked against the book's numpy im2col), with the k axis in (fy, fx, c) order instead of (c, fy, fx).
/// </summary>
public unsafe class ImagePatchSourceTests
{
    [Theory]
    [InlineData(1, 0, 3, 2)]
    [InlineData(1, 1, 3, 3)]
    [InlineData(1, 2, 2, 3)]
    [InlineData(2, 0, 3, 2)]
    [InlineData(2, 1, 5, 5)]
    [InlineData(2, 2, 1, 4)]
    public void Patch_rows_equal_im2col_rows_permuted(int stride, int pad, int fh, int fw)
    {
        const int n = 2, c = 3, h = 7, w = 5;
        var random = new Random(stride * 10 + pad);
        var bytes = new byte[n * c * h * w];
        random.NextBytes(bytes);
        // The oracle: im2col of the (N, C, H, W) floats (pixel / 255), as the layers compute it.
        var x = new Tensor(bytes.Select(b => b / 255f).ToArray(), n, c, h, w);
        var col = ImageColumns.Im2Col(x, fh, fw, stride, pad);
        var nhwc = new float[bytes.Length];
        var nhwcBytes = new byte[bytes.Length];
        for (int i = 0; i < n; i++)
        for (int ch = 0; ch < c; ch++)
        for (int y = 0; y < h; y++)
        for (int xx = 0; xx < w; xx++)
        {
            int from = ((i * c + ch) * h + y) * w + xx, to = ((i * h + y) * w + xx) * c + ch;
            nhwc[to] = x.Span[from];
            nhwcBytes[to] = bytes[from];
        }

        var geometry = new PatchGeometry(h, w, c, fh, fw, stride, pad);
        int rows = col.Dim(0), k = col.Dim(1);
        Assert.Equal(k, geometry.PatchLength);
        Assert.Equal(n * geometry.OutH * geometry.OutW, rows);
        fixed (float* pf = nhwc)
        fixed (byte* pb = nhwcBytes)
        {
            foreach (var source in new[] { MatrixSource.ImagePatches(pf, geometry), MatrixSource.ImagePatchBytes(pb, geometry) })
            {
                // Odd row blocks starting mid-image, as the GEMM's row blocks do.
                for (int start = 0; start < rows; start += 7)
                {
                    int count = Math.Min(7, rows - start);
                    var block = new float[count * k];
                    fixed (float* dst = block)
                    {
                        source.CopyRows(start, count, k, dst);
                    }

                    for (int r = 0; r < count; r++)
                    for (int ch = 0; ch < c; ch++)
                    for (int fy = 0; fy < fh; fy++)
                    for (int fx = 0; fx < fw; fx++)
                    {
                        Assert.Equal(col[start + r, (ch * fh + fy) * fw + fx], block[r * k + (fy * fw + fx) * c + ch]);
                    }
                }
            }
        }
    }
}
