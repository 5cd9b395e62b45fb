/** Answer parsing, rule for rule as lmms-eval (and LLaVA's own scripts) read a generated answer. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { llavaScienceQaLetter, lmmsPopeAnswer, lmmsScienceQaLetter, mmeYesNo, popeYesNo } from '../../../src/eval/vlm/answers.js';

describe('POPE answers', () => {
  it('lmms-eval only lower-cases and strips: "Yes." is not "yes"', () => {
    assert.equal(lmmsPopeAnswer('  Yes \n'), 'yes');
    assert.equal(lmmsPopeAnswer('NO'), 'no');
    assert.equal(lmmsPopeAnswer('Yes.'), 'yes.');
    assert.equal(lmmsPopeAnswer('Yes, there is a dog.'), 'yes, there is a dog.');
  });

  it("POPE's own rule: the first sentence, without commas; No/no/not make it no, anything else yes", () => {
    assert.equal(popeYesNo('Yes.'), 'yes');
    assert.equal(popeYesNo('No, there is no dog.'), 'no');
    assert.equal(popeYesNo('There is not a dog in the image.'), 'no');
    assert.equal(popeYesNo('Yes. No wait.'), 'yes'); // only the first sentence counts
    assert.equal(popeYesNo('NO'), 'yes'); // the words are case-sensitive
    assert.equal(popeYesNo(''), 'yes');
    assert.equal(popeYesNo('no\n'), 'yes'); // split(' ') keeps "no\n" one word
  });
});

describe('MME answers (parse_pred_ans)', () => {
  it('reads yes/no exactly, y/n alone, else yes or no within the first four characters, else other', () => {
    assert.equal(mmeYesNo('Yes.'), 'yes');
    assert.equal(mmeYesNo(' no '), 'no');
    assert.equal(mmeYesNo('Y'), 'yes');
    assert.equal(mmeYesNo('n'), 'no');
    assert.equal(mmeYesNo('x'), 'other');
    assert.equal(mmeYesNo('Yes, it is.'), 'yes');
    assert.equal(mmeYesNo('No, it is not.'), 'no');
    assert.equal(mmeYesNo('I think yes'), 'other'); // "yes" is not in "i th"
    assert.equal(mmeYesNo('Nope'), 'no');
    assert.equal(mmeYesNo('The answer is yes'), 'other');
  });
});

describe('ScienceQA answers', () => {
  it('lmms-eval credits the bare letter (either case) or an upper-case letter followed by "."', () => {
    assert.equal(lmmsScienceQaLetter('B'), 'B');
    assert.equal(lmmsScienceQaLetter(' b\n'), 'B');
    assert.equal(lmmsScienceQaLetter('C.'), 'C');
    assert.equal(lmmsScienceQaLetter('C. a triangle'), 'C');
    assert.equal(lmmsScienceQaLetter('c. a triangle'), '');
    assert.equal(lmmsScienceQaLetter('The answer is B.'), '');
    assert.equal(lmmsScienceQaLetter('(B)'), '');
  });

  it("LLaVA's eval_science_qa reads a letter, \"X. …\", or exactly one \"The answer is X.\"", () => {
    assert.equal(llavaScienceQaLetter('B'), 'B');
    assert.equal(llavaScienceQaLetter('B. the moon'), 'B');
    assert.equal(llavaScienceQaLetter('The answer is B.'), 'B');
    assert.equal(llavaScienceQaLetter('Because of this, The answer is D, clearly'), 'D');
    assert.equal(llavaScienceQaLetter('The answer is B'), ''); // the pattern needs a character after the letter
    assert.equal(llavaScienceQaLetter('The answer is A. The answer is B.'), ''); // two answers: failed
    assert.equal(llavaScienceQaLetter('b'), ''); // lower case is not an option
    assert.equal(llavaScienceQaLetter('F'), ''); // options are A–E
    assert.equal(llavaScienceQaLetter(' B'), ''); // the text is taken as it is
  });
});
