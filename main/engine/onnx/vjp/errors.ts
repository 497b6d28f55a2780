/**
 * The one error the VJP generator throws for a graph it cannot differentiate: an operator (or an
 * attribute combination of one) with no gradient rule, named with the node so the user can find it.
 */
export class VjpUnsupported extends Error {
  constructor(readonly opType: string, readonly node: string, detail = 'has no gradient rule') {
    super(`cannot differentiate the model: operator ${opType} (node '${node}') ${detail}`);
    this.name = 'VjpUnsupported';
  }
}
