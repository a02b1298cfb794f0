#:project ../../src/DeepScratch/DeepScratch.csproj
// Book: section 3.5.2 (no script in the book's repository) — softmax written as exp(a) / sum(exp(a)) overflows for
// a = [1010, 1000, 990]: every exp is infinite and the answer is NaN; subtracting the largest input first gives
// the same mathematical result without overflow, which is what the library's softmax does.
// Run:  dotnet run examples/ch03/softmax_overflow.cs
using DeepScratch.Data;
using DeepScratch.Functions;
using DeepScratch.Tensors;

var run = ChapterScript.Start(args);

var a = Tensor.FromValues(1010, 1000, 990);
var expA = Exp(a);
Console.WriteLine("np.exp(a) / np.sum(np.exp(a)) = " + Show(expA / expA.ToArray().Sum()));  // [NaN, NaN, NaN]

float c = a.ToArray().Max();
Console.WriteLine("a - c = " + Show(a - c));                                                   // [0, -10, -20]
var expAc = Exp(a - c);
Console.WriteLine("np.exp(a - c) / np.sum(np.exp(a - c)) = " + Show(expAc / expAc.ToArray().Sum()));
Console.WriteLine("Activations.Softmax(a) = " + Show(Activations.Softmax(a)));                 // the same, computed safely

// np.exp, element by element, in float32 as the network computes: exp(1010) is +Infinity.
static Tensor Exp(Tensor x) => Tensor.FromValues(x.ToArray().Select(MathF.Exp).ToArray());

static string Show(Tensor x) => "[" + string.Join(", ", x.ToArray().Select(v => v.ToString("G8", System.Globalization.CultureInfo.InvariantCulture))) + "]";
