using DeepScratch.Layers;

namespace DeepScratch.Training.Optimizers;

/// <summary>
/// An optimizer's per-parameter state (the book's <c>self.v[key]</c>, <c>self.h[key]</c>, <c>self.m[key]</c>):
/// a fixed number of zero-initialised tensors shaped like the parameter, created the first time that parameter is
/// updated and found again by the parameter's identity, so updates after the first allocate nothing.
/// </summary>
internal sealed class ParameterStates(int slots)
{
    private readonly Dictionary<Parameter, Tensor[]> _states = new(ReferenceEqualityComparer.Instance);

    /// <summary>How many parameters have state so far.</summary>
    public int Count => _states.Count;

    /// <summary>The state tensors of <paramref name="parameter"/>, created (zeros, same shape) on first use.</summary>
    public Tensor[] For(Parameter parameter)
    {
        if (!_states.TryGetValue(parameter, out Tensor[]? state))
        {
            state = new Tensor[slots];
            int[] shape = parameter.Value.Shape.ToArray();
            for (int i = 0; i < slots; i++)
            {
                state[i] = Tensor.Zeros(shape);
            }

            _states.Add(parameter, state);
        }

        return state;
    }

    /// <summary>The state of <paramref name="parameter"/> if it has been updated before, without creating any.</summary>
    public bool TryGet(Parameter parameter, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Tensor[]? state) =>
        _states.TryGetValue(parameter, out state);
}
