# Bash completion for the d4c programs: d4c-policy, d4c-load, d4c-trace,
# d4c-enrich and d4c-ship.
#
# Options are read from each program's own --help when completing (as
# bash-completion's _longopt does), so they never drift from the program:
# an option appears here the day the program has it. Installed as
# completions/d4c-policy, with the other programs' names linked to it, so
# that bash-completion loads it on first use; or source it from ~/.bashrc.

# Prints PROG's --help (cached per program path for the shell's life).
declare -gA _d4c_help_cache 2>/dev/null || true
_d4c_help() {
	local prog=$1 path
	path=$(type -P -- "$prog" 2>/dev/null) || return 1
	if [[ -z ${_d4c_help_cache[$path]+set} ]]; then
		_d4c_help_cache[$path]=$(LC_ALL=C "$path" --help 2>&1 </dev/null)
	fi
	printf '%s\n' "${_d4c_help_cache[$path]}"
}

# The options named in help text on stdin, one per line as written
# ("--pin DIR", "--host", "-o OUT"), from option-table lines and from
# "[--format text|json|github]" synopses alike.
_d4c_options() {
	grep -oE -- '(^|[[ ,])--?[A-Za-z][A-Za-z0-9-]*([ =][A-Za-z][A-Za-z|]*)?' |
		sed -E 's/^[[ ,]//; s/=/ /' |
		awk '{ a = $2; if (a != "" && a != toupper(a) && a !~ /\|/) a = ""; print $1 (a != "" ? " " a : "") }' |
		sort -u
}

# COMPREPLY: files whose names end in one of the extensions in $1
# ("yaml|yml"), plus directories to walk into.
_d4c_files() {
	local ext=$1 IFS=$'\n' f
	COMPREPLY=()
	compopt -o filenames 2>/dev/null
	for f in $(compgen -f -- "$cur"); do
		if [[ -d $f ]] || [[ -z $ext ]] || [[ $f =~ \.($ext)$ ]]; then
			COMPREPLY+=("$f")
		fi
	done
}

# Completes the argument of option $1 whose help shows it as "$1 $2".
_d4c_option_arg() {
	local opt=$1 arg=$2 prog=$3
	case $arg in
	*'|'*) COMPREPLY=($(compgen -W "${arg//|/ }" -- "$cur")) ;;
	DIR) COMPREPLY=($(compgen -d -- "$cur")); compopt -o filenames 2>/dev/null ;;
	FILE | OUT | PATH) _d4c_files "" ;;
	BLOB) _d4c_files "d4cp" ;;
	KINDS | KIND)
		# A comma-separated list: complete its last element.
		local done=${cur%"${cur##*,}"} k
		COMPREPLY=()
		for k in exec fork exit file; do
			[[ ,$done == *",$k,"* ]] && continue
			[[ $k == "${cur##*,}"* ]] && COMPREPLY+=("$done$k")
		done
		compopt -o nospace 2>/dev/null
		;;
	*)
		# A value with choices listed elsewhere in the help, as for
		# "--format F" beside "--format text|json|github".
		local choices
		choices=$(_d4c_help "$prog" | _d4c_options | awk -v o="$opt" '$1 == o && $2 ~ /\|/ { print $2; exit }')
		[[ -n $choices ]] && COMPREPLY=($(compgen -W "${choices//|/ }" -- "$cur"))
		;;
	esac
}

_d4c() {
	local cur prev prog=${COMP_WORDS[0]} opts line sub="" i
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=""
	((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
	COMPREPLY=()

	# --opt=value
	if [[ $cur == --*=* ]]; then
		prev=${cur%%=*}
		cur=${cur#*=}
	fi

	local help
	help=$(_d4c_help "$prog") || help=""

	# d4c-policy's first word is a command; the options are the command's.
	if [[ ${prog##*/} == d4c-policy ]]; then
		for ((i = 1; i < COMP_CWORD; i++)); do
			[[ ${COMP_WORDS[i]} == -* ]] && continue
			sub=${COMP_WORDS[i]}
			break
		done
		if [[ -z $sub ]]; then
			if [[ $cur == -* ]]; then
				COMPREPLY=($(compgen -W "--help" -- "$cur"))
			else
				local cmds
				cmds=$(printf '%s\n' "$help" | sed -n '/^commands:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p')
				[[ -n $cmds ]] || cmds="check compile dump test help"
				COMPREPLY=($(compgen -W "$cmds" -- "$cur"))
			fi
			return 0
		fi
		help=$(printf '%s\n' "$help" | grep -E "^  $sub( |\$)")
	fi

	opts=$(printf '%s\n' "$help" | _d4c_options)

	# The argument of an option; a short option takes its long form's
	# ("-t, --types KINDS").
	if [[ $prev == -[A-Za-z] ]]; then
		local long
		long=$(printf '%s\n' "$help" | sed -n "s/^ *$prev, \(--[A-Za-z0-9-]*\).*/\1/p" | head -n 1)
		[[ -n $long ]] && prev=$long
	fi
	line=$(printf '%s\n' "$opts" | awk -v o="$prev" '$1 == o && NF == 2 { print; exit }')
	if [[ -n $line && $prev == -* ]]; then
		_d4c_option_arg "$prev" "${line#* }" "$prog"
		return 0
	fi

	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$({ printf '%s\n' "$opts" | awk '{ print $1 }'; echo --help; } | sort -u)" -- "$cur"))
		return 0
	fi

	# Operands.
	case ${prog##*/}:$sub in
	d4c-policy:check | d4c-policy:compile) _d4c_files "yaml|yml" ;;
	d4c-policy:dump) _d4c_files "d4cp" ;;
	d4c-policy:test) _d4c_files "yaml|yml|d4cp" ;;
	d4c-policy:*) ;;
	d4c-load:) _d4c_files "d4cp" ;;
	*) _d4c_files "" ;;
	esac
	return 0
}

complete -F _d4c d4c-policy d4c-load d4c-trace d4c-enrich d4c-ship
