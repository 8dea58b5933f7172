"""Loads datasets the way LLaMA-Factory's training does and prints what it sees.

    $PYTHON lf_load.py DATASET_DIR NAME [NAME...] [--stage sft|kto|pt]

For each NAME, LLaMA-Factory's own code reads DATASET_DIR/dataset_info.json
(llamafactory.data.parser.get_dataset_list), HF datasets loads the file, and
the converter for its formatting aligns every row
(llamafactory.data.loader._get_merged_dataset, which calls align_dataset),
in stage rm for files declared "ranking" (LLaMA-Factory refuses them in others).
Prints one JSON object per input row: {"dataset", "prompt", "response",
"system", "tools", "images", "videos", "audios"} with the aligned values,
then a last line {"rows": N} per dataset. Any exception LLaMA-Factory raises
ends the run with exit 1 and the traceback, which is what a user would see.
"""
import json
import os
import sys
import tempfile


def main():
    args = sys.argv[1:]
    stage = "sft"
    if "--stage" in args:
        i = args.index("--stage")
        stage = args[i + 1]
        del args[i:i + 2]
    dataset_dir, names = args[0], args[1:]
    out, sys.stdout = sys.stdout, sys.stderr  # whatever the libraries print goes to stderr
    cache = tempfile.mkdtemp(prefix="lf-cache-")
    os.environ.setdefault("HF_DATASETS_CACHE", cache)

    from transformers import Seq2SeqTrainingArguments
    from llamafactory.hparams import DataArguments, ModelArguments
    from llamafactory.data.loader import _get_merged_dataset

    model_args = ModelArguments(model_name_or_path="unused", cache_dir=cache)
    data_args = DataArguments(dataset_dir=dataset_dir, dataset=names, overwrite_cache=True)
    training_args = Seq2SeqTrainingArguments(output_dir=os.path.join(cache, "out"), report_to="none")
    info = json.load(open(os.path.join(dataset_dir, "dataset_info.json"), encoding="utf-8"))
    for name in names:
        # a ranking file is only accepted for reward-model / DPO training
        st = "rm" if info.get(name, {}).get("ranking") else stage
        ds = _get_merged_dataset([name], model_args, data_args, training_args, st, return_dict=True)[name]
        n = 0
        for row in ds:
            n += 1
            print(json.dumps({
                "dataset": name,
                "prompt": row["_prompt"],
                "response": row["_response"],
                "system": row["_system"],
                "tools": row["_tools"],
                "images": row["_images"],
                "videos": row["_videos"],
                "audios": row["_audios"],
            }, ensure_ascii=False), file=out)
        print(json.dumps({"dataset": name, "rows": n}), file=out)


if __name__ == "__main__":
    main()
