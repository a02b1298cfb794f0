using DeepScratch.Data;
using DeepScratch.Models;

namespace DeepScratch.Tests.Models;

/// <summary>
/// A session shares a large enough batch out across the cores, each core carrying its own rows through every step a
/// few at a time. The oracle is the same engine one image at a time (never split, the batch of one the book's loop
/// runs): the engine promises the same bits whatever the batch, so a split that mixed up rows, buffers or workspaces
/// would show as a difference in some image.
/// </summary>
public class InferenceSessionTests(InferenceEngineTests.TestSet data)
    : IClassFixture<InferenceEngineTests.TestSet>
{
    public static TheoryData<string, int> Batches => new()
    {
        // The MLP splits from 24 images (2^20 multiply-adds at 45,200 per image); the CNNs from 2.
        { "mlp", 23 }, { "mlp", 24 }, { "mlp", 100 }, { "mlp", 1001 },
        { "simple-cnn", 2 }, { "simple-cnn", 37 },
        { "deep-cnn", 3 }, { "deep-cnn", 50 },
    };

    [Theory]
    [MemberData(nameof(Batches))]
    public void A_batch_shared_across_the_cores_gives_the_one_image_results_bit_for_bit(string network, int batch)
    {
        var engine = network switch
        {
            "mlp" => ThreeLayerNet.Load(TestData.Weights("sample_weight.pkl")).CompileInference(),
            "simple-cnn" => BookCnn.Simple().CompileInference()!,
            _ => BookCnn.Deep().CompileInference()!,
        };
        var pixels = data.Set.Images.Pixels;
        // Two batches, the second from an odd offset, so that the parts of each start mid-way through the images.
        foreach (int start in new[] { 0, 4321 })
        {
            var batched = new float[batch * 10];
            engine.CreateSession(batch).PredictPixels(pixels.AsSpan(start * 784, batch * 784), batch, batched);

            var one = engine.CreateSession(1);
            var single = new float[10];
            for (int i = 0; i < batch; i++)
            {
                one.PredictPixels(pixels.AsSpan((start + i) * 784, 784), 1, single);
                Assert.True(single.AsSpan().SequenceEqual(batched.AsSpan(i * 10, 10)),
                    $"{network}, batch {batch} from image {start}: image {i} differs: [{string.Join(", ", batched.AsSpan(i * 10, 10).ToArray())}] against [{string.Join(", ", single)}] alone");
            }
        }
    }

    [Fact]
    public void The_float_input_path_of_a_shared_batch_gives_the_pixel_path_bits()
    {
        // Predict (floats already divided by 255) and PredictPixels share the split; each reads its own rows.
        var engine = BookCnn.Simple().CompileInference()!;
        const int batch = 40;
        var session = engine.CreateSession(batch);
        var fromPixels = new float[batch * 10];
        var fromFloats = new float[batch * 10];
        session.PredictPixels(data.Set.Images.Pixels.AsSpan(0, batch * 784), batch, fromPixels);
        session.Predict(data.X.Rows(0, batch).Span, batch, fromFloats);
        Assert.Equal(fromPixels, fromFloats);
    }
}
