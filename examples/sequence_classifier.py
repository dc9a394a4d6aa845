"""Sequences of different lengths, as PyTorch's "NLP from scratch" tutorials handle them: a
character RNN classifying names one-hot encoded letter by letter, then embeddings of token
sequences padded (``pad_sequence``), packed (``pack_padded_sequence``, unsorted lengths) and
run through a two-layer bidirectional LSTM, and unpacked again. Written for PyTorch with the
import lines changed.
"""

import chainrule as torch
import chainrule.nn as nn
from chainrule.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence, pad_sequence

torch.manual_seed(0)
letters = "abcdefghijklmnopqrstuvwxyz"


def line_to_tensor(line):
    t = torch.zeros(len(line), 1, len(letters))
    for i, c in enumerate(line):
        t[i][0][letters.find(c)] = 1
    return t


class RNN(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super().__init__()
        self.rnn = nn.RNN(input_size, hidden_size)
        self.h2o = nn.Linear(hidden_size, output_size)
        self.softmax = nn.LogSoftmax(dim=1)

    def forward(self, line_tensor):
        rnn_out, hidden = self.rnn(line_tensor)
        output = self.h2o(hidden[0])
        output = self.softmax(output)
        return output


rnn = RNN(len(letters), 32, 3)
print(rnn)
criterion = nn.NLLLoss()
optimizer = torch.optim.SGD(rnn.parameters(), lr=0.05)
names = [("anna", 0), ("bob", 1), ("carla", 2), ("dmitri", 1)]
for epoch in range(3):
    total = 0.0
    for name, label in names:
        rnn.zero_grad()
        out = rnn(line_to_tensor(name))
        loss = criterion(out, torch.tensor([label], dtype=torch.long))
        loss.backward()
        nn.utils.clip_grad_norm_(rnn.parameters(), 3)
        optimizer.step()
        total += loss.item()
    print(f"epoch {epoch} loss {total / len(names):.4f}")
top_n, top_i = out.topk(1)
print(top_n, top_i, top_i[0].item())
emb = nn.Embedding(30, 8, padding_idx=0)
lstm = nn.LSTM(8, 16, batch_first=True, num_layers=2, dropout=0.0, bidirectional=True)
seqs = [torch.tensor([3, 4, 5]), torch.tensor([6, 7]), torch.tensor([8])]
lengths = torch.tensor([len(s) for s in seqs])
padded = pad_sequence(seqs, batch_first=True)
print(padded)
packed = pack_padded_sequence(emb(padded), lengths, batch_first=True, enforce_sorted=False)
out, (h, c) = lstm(packed)
unpacked, lens = pad_packed_sequence(out, batch_first=True)
print(unpacked.shape, lens, h.shape)
print(unpacked.sum(dim=-1))
